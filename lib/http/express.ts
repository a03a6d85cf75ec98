/** Adapts a Router to functions-framework's Express (req, res). The only file that touches req/res. */
import type { Request, Response } from '@google-cloud/functions-framework';
import type { Logger } from '../observability/logger.ts';
import { errorReply } from './errors.ts';
import { serialiseBody } from './json.ts';
import type { Router } from './router.ts';
import type { ApiRequest, Reply } from './types.ts';

function toApiRequest(req: Request): ApiRequest {
  const queryStart = req.originalUrl.indexOf('?');
  const rawBody = (req as Request & { rawBody?: Buffer }).rawBody;
  return {
    method: req.method,
    path: req.path,
    query: new URLSearchParams(queryStart === -1 ? '' : req.originalUrl.slice(queryStart + 1)),
    header: (name) => req.get(name),
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
 * reused; a failure to create it is answered 503 and retried on the next request.
 */
export function expressHandler<Deps>(router: Router<Deps>, createDeps: () => Promise<Deps>, log: Logger) {
  let deps: Promise<Deps> | undefined;
  return async (req: Request, res: Response): Promise<void> => {
    let reply: Reply;
    try {
      deps ??= createDeps().catch((error: unknown) => {
        deps = undefined;
        throw error;
      });
      reply = await router.dispatch(toApiRequest(req), await deps);
    } catch (error) {
      reply = errorReply(error, log);
    }
    send(res, reply);
  };
}
