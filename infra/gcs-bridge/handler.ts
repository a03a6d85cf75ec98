/**
 * GCS bridge · the JSON API requests @google-cloud/storage makes for the fallback store, answered from memory:
 * simple and multipart uploads with preconditions, object metadata and media, listing by prefix with paging,
 * conditional deletes. Anything else answers 501, so a client that starts using more fails loudly.
 */
import {
  type ApiReply,
  apiError,
  badRequest,
  conditionNotMet,
  noSuchBucket,
  noSuchObject,
} from './errors.ts';
import { boundaryOf, parseMultipart } from './multipart.ts';
import { mediaHeaders, objectResource } from './objects.ts';
import type { BucketStore, Outcome, Preconditions } from './store.ts';

export interface ApiRequest {
  readonly method: string;
  /** Path and query, as received. */
  readonly url: string;
  readonly contentType: string | undefined;
  readonly body: Buffer;
}

const UPLOAD = /^\/upload\/storage\/v1\/b\/([^/]+)\/o$/;
const OBJECTS = /^\/storage\/v1\/b\/([^/]+)\/o$/;
const OBJECT = /^\/storage\/v1\/b\/([^/]+)\/o\/(.+)$/;
const MAX_RESULTS = 1000;

class BadParam extends Error {}

/** A decimal int64 query parameter (generations are), or undefined when absent. */
function bigParam(query: URLSearchParams, name: string): bigint | undefined {
  const value = query.get(name);
  if (value === null) return undefined;
  if (!/^\d{1,19}$/.test(value)) throw new BadParam(`Invalid value for ${name}: ${value}`);
  return BigInt(value);
}

const preconditions = (query: URLSearchParams): Preconditions => ({
  ifGenerationMatch: bigParam(query, 'ifGenerationMatch'),
  ifGenerationNotMatch: bigParam(query, 'ifGenerationNotMatch'),
  ifMetagenerationMatch: bigParam(query, 'ifMetagenerationMatch'),
  ifMetagenerationNotMatch: bigParam(query, 'ifMetagenerationNotMatch'),
});

/** Maps the store's refusals onto Google's answers. */
function settled<T>(outcome: Outcome<T>, bucket: string, name: string, ok: (value: T) => ApiReply): ApiReply {
  if (outcome === 'no-bucket') return noSuchBucket(bucket);
  if (outcome === 'not-found') return noSuchObject(bucket, name);
  if (outcome === 'precondition-failed') return conditionNotMet();
  return ok(outcome);
}

/**
 * A partial response (`fields=items(name,generation),nextPageToken`): keeps the named fields of each item.
 * Only that form is understood; without `fields` every field is sent.
 */
function itemFields(fields: string | null) {
  const names = fields
    ? /items\(([^)]*)\)/
        .exec(fields)?.[1]
        ?.split(',')
        .map((n) => n.trim())
    : undefined;
  return {
    partial: names !== undefined,
    fields: (item: Record<string, unknown>) =>
      names ? Object.fromEntries(names.map((n) => [n, item[n]])) : item,
  };
}

export function createHandler(store: BucketStore, baseUrl: () => string) {
  function upload(bucket: string, query: URLSearchParams, req: ApiRequest): ApiReply {
    const type = query.get('uploadType');
    let name = query.get('name');
    let media = req.body;
    let contentType = req.contentType ?? 'application/octet-stream';
    if (type === 'multipart') {
      const boundary = boundaryOf(req.contentType);
      if (!boundary) return badRequest('uploadType=multipart needs a multipart/related body with a boundary');
      const parts = parseMultipart(req.body, boundary);
      if (typeof parts === 'string') return badRequest(parts);
      if (typeof parts.metadata.name === 'string') name ??= parts.metadata.name;
      media = parts.media;
      const declared = parts.metadata.contentType;
      contentType = typeof declared === 'string' ? declared : (parts.mediaType ?? 'application/octet-stream');
    } else if (type !== 'media') {
      return apiError(501, 'notImplemented', `uploadType=${type} is not implemented by the bridge`);
    }
    if (!name) return apiError(400, 'required', 'Required: the object name');
    const objectName = name;
    return settled(
      store.insert(bucket, objectName, media, contentType, preconditions(query)),
      bucket,
      name,
      (o) => ({
        status: 200,
        body: objectResource(o, baseUrl()),
      }),
    );
  }

  function list(bucket: string, query: URLSearchParams): ApiReply {
    if (query.has('delimiter') || query.get('versions') === 'true' || query.has('matchGlob'))
      return apiError(
        501,
        'notImplemented',
        'delimiter, versions and matchGlob are not implemented by the bridge',
      );
    const maxResults = Number(query.get('maxResults') ?? MAX_RESULTS);
    if (!Number.isInteger(maxResults) || maxResults < 1)
      return badRequest(`Invalid maxResults: ${maxResults}`);
    const all = store.list(bucket, query.get('prefix') ?? '');
    if (all === 'no-bucket') return noSuchBucket(bucket);
    const token = query.get('pageToken');
    const after = token ? Buffer.from(token, 'base64url') : null;
    const start = query.has('startOffset') ? Buffer.from(query.get('startOffset')!) : null;
    const end = query.has('endOffset') ? Buffer.from(query.get('endOffset')!) : null;
    const matching = all.filter((o) => {
      const name = Buffer.from(o.name);
      return (
        (!after || Buffer.compare(name, after) > 0) &&
        (!start || Buffer.compare(name, start) >= 0) &&
        (!end || Buffer.compare(name, end) < 0)
      );
    });
    const page = matching.slice(0, Math.min(maxResults, MAX_RESULTS));
    const last = page.at(-1);
    const pick = itemFields(query.get('fields'));
    return {
      status: 200,
      body: {
        ...(!pick.partial && { kind: 'storage#objects' }),
        // Like Google: no `items` when the page is empty, a token only when more follow.
        ...(page.length > 0 && { items: page.map((o) => pick.fields(objectResource(o, baseUrl()))) }),
        ...(matching.length > page.length &&
          last && { nextPageToken: Buffer.from(last.name).toString('base64url') }),
      },
    };
  }

  function object(method: string, bucket: string, name: string, query: URLSearchParams): ApiReply {
    const generation = bigParam(query, 'generation');
    if (method === 'DELETE')
      return settled(store.delete(bucket, name, generation, preconditions(query)), bucket, name, () => ({
        status: 204,
        body: null,
      }));
    return settled(store.get(bucket, name, generation, preconditions(query)), bucket, name, (o) =>
      query.get('alt') === 'media'
        ? { status: 200, headers: mediaHeaders(o), body: o.data }
        : { status: 200, body: objectResource(o, baseUrl()) },
    );
  }

  return function handle(req: ApiRequest): ApiReply {
    const url = new URL(req.url, 'http://bridge');
    const path = url.pathname;
    const segment = (value: string) => decodeURIComponent(value);
    try {
      let match = UPLOAD.exec(path);
      if (match && req.method === 'POST') return upload(segment(match[1]!), url.searchParams, req);
      match = OBJECTS.exec(path);
      if (match && req.method === 'GET') return list(segment(match[1]!), url.searchParams);
      match = OBJECT.exec(path);
      if (match && (req.method === 'GET' || req.method === 'DELETE'))
        return object(req.method, segment(match[1]!), segment(match[2]!), url.searchParams);
    } catch (error) {
      if (error instanceof BadParam || error instanceof URIError) return badRequest(error.message);
      throw error;
    }
    return apiError(501, 'notImplemented', `${req.method} ${path} is not implemented by the bridge`);
  };
}
