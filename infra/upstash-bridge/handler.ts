/**
 * Upstash REST bridge · handler: the protocol of `@upstash/redis` 1.39 — bearer auth on every route,
 * `POST /` (one command), `POST /pipeline`, `POST /multi-exec`, `Upstash-Encoding: base64`, JSON errors.
 * Knows nothing of node:http, so it can be tested and hosted anywhere.
 * Hand-written because no maintained package reproduces this faithfully (base64, multi-exec, auth).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { assertAllowed, CommandRejected, parseCommand, parseCommandList } from './commands.ts';
import { encodeReply } from './encode.ts';
import { type Executor, type Outcome, TransactionAborted } from './execute.ts';

export interface BridgeRequest {
  readonly method: string;
  /** The path without the query string. */
  readonly path: string;
  readonly authorization: string | undefined;
  readonly encoding: string | undefined;
  readonly body: string;
}

export interface BridgeResponse {
  readonly status: number;
  /** Always JSON: the client throws a parse error on anything else, even for a 401. */
  readonly body: unknown;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

export function createHandler(opts: { token: string; executor: Executor }) {
  const expected = digest(`Bearer ${opts.token}`);
  const { executor } = opts;

  const error = (status: number, message: string): BridgeResponse => ({ status, body: { error: message } });

  return async function handle(req: BridgeRequest): Promise<BridgeResponse> {
    // Auth comes before routing so an unknown route does not reveal anything either.
    if (!timingSafeEqual(digest(req.authorization ?? ''), expected)) return error(401, 'Unauthorized');
    if (req.method !== 'POST')
      return error(405, `ERR ${req.method} is not supported: send POST with a JSON body`);
    const route = req.path.replace(/\/+$/, '') || '/';
    if (route !== '/' && route !== '/pipeline' && route !== '/multi-exec') {
      return error(404, `ERR unknown route ${req.path}: use /, /pipeline or /multi-exec`);
    }
    const base64 = req.encoding?.toLowerCase() === 'base64';
    const toJson = (o: Outcome) => (o.ok ? { result: encodeReply(o.value, base64) } : { error: o.error });

    try {
      let body: unknown;
      try {
        body = JSON.parse(req.body);
      } catch {
        return error(400, 'ERR the request body is not valid JSON');
      }
      if (route === '/') {
        const args = parseCommand(body);
        assertAllowed(args);
        const outcome = await executor.one(args);
        return outcome.ok ? { status: 200, body: toJson(outcome) } : error(400, outcome.error);
      }
      const commands = parseCommandList(body);
      // Refuse the whole batch before running any of it.
      for (const args of commands) assertAllowed(args);
      const outcomes =
        route === '/pipeline' ? await executor.pipeline(commands) : await executor.multi(commands);
      return { status: 200, body: outcomes.map(toJson) };
    } catch (e) {
      if (e instanceof CommandRejected || e instanceof TransactionAborted) return error(400, e.message);
      // Redis is unreachable or timed out: the bridge, not the command, failed.
      return error(503, `ERR redis unavailable: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
}
