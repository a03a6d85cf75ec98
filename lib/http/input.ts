/** Reading and validating request inputs (body, path ids, headers, query) into typed values or InvalidRequest. */
import * as v from 'valibot';
import { InvalidRequest, UnsupportedMediaType } from '../errors.ts';
import { assertDepth, parseJsonBody } from '../model/limits.ts';
import { IdSchema } from '../model/state.ts';
import type { ApiRequest } from './types.ts';

export interface BodyLimits {
  readonly maxBodyBytes: number;
  readonly maxDepth: number;
}

export function parseWith<S extends v.GenericSchema>(
  schema: S,
  value: unknown,
  what: string,
): v.InferOutput<S> {
  const parsed = v.safeParse(schema, value);
  if (parsed.success) return parsed.output;
  const flat = v.flatten<S>(parsed.issues);
  const first = parsed.issues[0];
  const path = first ? v.getDotPath(first) : null;
  const summary = first ? `${path ? `${path}: ` : ''}${first.message}` : 'invalid';
  throw new InvalidRequest(`${what} is invalid: ${summary}`, {
    ...(flat.root && { '': flat.root }),
    ...flat.nested,
  });
}

/** Parse, bound and validate a JSON body. Unknown fields are refused by the (strict) schemas. */
export function readBody<S extends v.GenericSchema>(
  request: ApiRequest,
  schema: S,
  limits: BodyLimits,
): v.InferOutput<S> {
  const contentType = request.header('content-type');
  if (contentType !== undefined && !isJsonInUtf8(contentType)) {
    throw new UnsupportedMediaType('send the body as application/json in UTF-8');
  }
  const json = parseJsonBody(request.rawBody, limits.maxBodyBytes);
  assertDepth(json, limits.maxDepth + 2, 'the body');
  return parseWith(schema, json, 'the body');
}

/** `application/json` or `application/<x>+json`, with no charset or utf-8 (JSON is UTF-8: RFC 8259). */
function isJsonInUtf8(contentType: string): boolean {
  const [type = '', ...parameters] = contentType.split(';').map((part) => part.trim().toLowerCase());
  if (!/^application\/([\w.-]+\+)?json$/.test(type)) return false;
  return parameters.every((p) => !p.startsWith('charset=') || /^charset="?utf-8"?$/.test(p));
}

export function readRunId(params: Readonly<Record<string, string>>): string {
  return parseWith(IdSchema, params.runId, 'the run id');
}

/** `If-Match: 3` or `If-Match: "3"` (an ETag as this API sends it). */
export function readIfMatch(request: ApiRequest): number | undefined {
  const header = request.header('if-match');
  if (header === undefined) return undefined;
  const match = /^\s*"?(\d{1,15})"?\s*$/.exec(header);
  if (!match)
    throw new InvalidRequest(`If-Match must be a version number such as "3", not ${JSON.stringify(header)}`);
  return Number(match[1]);
}

const IdempotencyKeySchema = v.pipe(
  v.string(),
  v.minLength(1),
  v.maxLength(255),
  v.regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces'),
);

export function readIdempotencyKey(request: ApiRequest): string | undefined {
  const header = request.header('idempotency-key');
  return header === undefined
    ? undefined
    : parseWith(IdempotencyKeySchema, header, 'the Idempotency-Key header');
}

/** Query parameters as a plain object (a repeated parameter is refused), validated by `schema`. */
export function readQuery<S extends v.GenericSchema>(request: ApiRequest, schema: S): v.InferOutput<S> {
  const query: Record<string, string> = {};
  for (const [name, value] of request.query) {
    if (name in query) throw new InvalidRequest(`the query parameter "${name}" is repeated`);
    query[name] = value;
  }
  return parseWith(schema, query, 'the query');
}

/** A query integer: digits only, within bounds. */
export const queryInt = (min: number, max: number) =>
  v.pipe(
    v.string(),
    v.regex(/^\d{1,15}$/, 'must be a whole number'),
    v.transform(Number),
    v.minValue(min),
    v.maxValue(max),
  );
