/** Adapts a Router to functions-framework's Express (req, res). The only file that touches req/res. */
import { randomUUID } from 'node:crypto';
import type { Request, Response } from '@google-cloud/functions-framework';
import { InvalidRequest } from '../errors.ts';
import type { Logger } from '../observability/logger.ts';
import { errorReply } from './errors.ts';
import { servedWithoutDomain } from './framework-domain.ts';
import { installFrameworkErrorHandler } from './framework-errors.ts';
import { serialiseBody } from './json.ts';
import type { Router } from './router.ts';
import type { ApiRequest, Reply } from './types.ts';

/**
 * Headers that carry one value. Node keeps the first of two `Authorization` headers and joins two `If-Match`
 * with a comma; either way the request is ambiguous, so it is refused rather than guessed.
 */
const SINGLE_VALUED = new Set(['authorization', 'if-match', 'idempotency-key', 'content-type']);

function duplicatedHeaders(rawHeaders: readonly string[]): Set<string> {
  const seen = new Set<string>();
  const duplicated = new Set<string>();
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]?.toLowerCase() ?? '';
    if (!SINGLE_VALUED.has(name)) continue;
    if (seen.has(name)) duplicated.add(name);
    seen.add(name);
  }
  return duplicated;
}

function toApiRequest(req: Request, requestId: string): ApiRequest {
  const queryStart = req.originalUrl.indexOf('?');
  const rawBody = (req as Request & { rawBody?: Buffer }).rawBody;
  const duplicated = duplicatedHeaders(req.rawHeaders);
  return {
    requestId,
    method: req.method,
    path: req.path,
    query: new URLSearchParams(queryStart === -1 ? '' : req.originalUrl.slice(queryStart + 1)),
    header: (name) => {
      if (duplicated.has(name.toLowerCase()))
        throw new InvalidRequest(`send the ${name} header once; it was sent more than once`);
      return req.get(name);
    },
    rawBody: rawBody && rawBody.length > 0 ? rawBody : undefined,
  };
}

function send(res: Response, reply: Reply): void {
  res.status(reply.status);
  for (const [name, value] of Object.entries(reply.headers ?? {})) res.setHeader(name, value);
  if (reply.body === undefined) {
    res.end();
    return;
  }
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.end(serialiseBody(reply.body));
}

/**
 * An HTTP function over `router`. `deps` is created once per instance, on the first request (cold start), and
 * reused; a failure to create it is answered 503 and retried on the next request. Served without the framework's
 * per-request domain: every error is caught here.
 */
export function expressHandler<Deps>(router: Router<Deps>, createDeps: () => Promise<Deps>, log: Logger) {
  installFrameworkErrorHandler(log);
  let deps: Promise<Deps> | undefined;
  return servedWithoutDomain(async (req: Request, res: Response): Promise<void> => {
    const requestId = randomUUID();
    let reply: Reply;
    try {
      deps ??= createDeps().catch((error: unknown) => {
        deps = undefined;
        throw error;
      });
      reply = await router.dispatch(toApiRequest(req, requestId), await deps);
    } catch (error) {
      reply = errorReply(error, log, requestId);
    }
    send(res, reply);
  }, log);
}
