/** What every answer must look like (invariant 1), judged from the request's intent and the catalogue of codes. */
import { ERROR_CODES } from '../../lib/http/error-codes.ts';
import type { FuzzCase } from './arbitraries/case.ts';
import { type Answer, safeJson } from './support.ts';

const SERVER_CODES: ReadonlySet<string> = new Set(['unavailable', 'spool_backlog', 'internal']);
/** Words of a database's own error text: none belongs in an answer (the review saw Postgres errors echoed). */
const DATABASE_DETAIL =
  /Failed query|violates .*constraint|relation "|syntax error at|duplicate key value|invalid input syntax|unsupported Unicode escape|PGlite|drizzle|\bSQLSTATE\b/i;

/** The ways `answer` breaks invariant 1; empty when it keeps it. */
export function answerViolations(c: FuzzCase, answer: Answer): string[] {
  const problems: string[] = [];
  const { status } = answer;
  if (c.method === 'HEAD') {
    if (status === 405) problems.push('HEAD answered 405 where GET is allowed');
    if (answer.body.length > 0) problems.push('HEAD answered with a body');
    return problems;
  }
  if (status === 204) {
    if (c.method !== 'DELETE') problems.push(`204 for ${c.method}`);
    if (c.intent === 'bad') problems.push(`a bad request was accepted (204): ${c.why}`);
    return problems;
  }
  const type = String(answer.headers['content-type'] ?? '');
  if (!/^application\/json\b/i.test(type))
    problems.push(`answered ${status} as "${type || 'no content type'}", not JSON`);
  const body = safeJson(answer.body);
  if (!body) {
    problems.push(`answered ${status} without a JSON object: ${answer.body.toString('utf8').slice(0, 200)}`);
    return problems;
  }
  if (status >= 200 && status < 300) {
    if (c.intent === 'bad') problems.push(`a bad request was accepted (${status}): ${c.why}`);
    if ('error' in body) problems.push(`a ${status} carries an error`);
    return problems;
  }
  const code = body.error;
  const entry =
    typeof code === 'string' && Object.hasOwn(ERROR_CODES, code)
      ? ERROR_CODES[code as keyof typeof ERROR_CODES]
      : undefined;
  if (!entry) problems.push(`error ${JSON.stringify(code)} is not in ERROR_CODES`);
  else if (entry.status !== status)
    problems.push(`error ${code} answered ${status}, the catalogue says ${entry.status}`);
  if (typeof body.message !== 'string') problems.push('the error has no message');
  else if (DATABASE_DETAIL.test(body.message))
    problems.push(`the message shows database detail: ${body.message}`);
  if (status < 400) problems.push(`status ${status} is neither a success nor an error`);
  if (status >= 500) {
    if (!SERVER_CODES.has(String(code))) problems.push(`5xx with code ${String(code)}`);
    if (c.intent === 'bad') problems.push(`bad input answered ${status} ${String(code)}, not a 4xx`);
    else if (code === 'internal' && c.intent === 'either')
      problems.push(`odd input answered 500 internal: ${c.why}`);
  }
  return problems;
}

/** A 4xx with a catalogued code and its status: the clean refusal the tally counts. */
export function isCleanRefusal(answer: Answer): boolean {
  if (answer.status < 400 || answer.status >= 500) return false;
  const body = safeJson(answer.body);
  const code = body?.error;
  return (
    typeof code === 'string' &&
    Object.hasOwn(ERROR_CODES, code) &&
    ERROR_CODES[code as keyof typeof ERROR_CODES].status === answer.status &&
    /^application\/json\b/i.test(String(answer.headers['content-type'] ?? ''))
  );
}
