/** Adapts a Router to a Web-standard `(Request) => Promise<Response>` handler (workerd, or any fetch runtime). */
import type { Logger } from '../observability/logger.ts';
import { errorReply } from './errors.ts';
import { serialiseBody } from './json.ts';
import type { Router } from './router.ts';
import type { ApiRequest, Reply } from './types.ts';

/** The request as handlers see it; the body is read whole, as functions-framework's `rawBody` is. */
export async function toApiRequest(request: Request, requestId: string): Promise<ApiRequest> {
  const url = new URL(request.url);
  const body = request.body === null ? undefined : new Uint8Array(await request.arrayBuffer());
  return {
    requestId,
    method: request.method,
    // Still percent-encoded, as Express's req.path is: the router decodes each parameter once.
    path: url.pathname,
    query: url.searchParams,
    header: (name) => request.headers.get(name) ?? undefined,
    rawBody: body && body.byteLength > 0 ? body : undefined,
  };
}

/** The reply as a Response: JSON bodies serialised exactly as express.ts does (RawJson spliced in). */
export function toResponse(reply: Reply): Response {
  const headers = new Headers(reply.headers);
  if (reply.body === undefined) return new Response(null, { status: reply.status, headers });
  headers.set('content-type', 'application/json; charset=utf-8');
  return new Response(serialiseBody(reply.body), { status: reply.status, headers });
}

/**
 * A fetch handler over `router`. `deps` is created on the first request (an isolate's cold start) and reused;
 * a failure to create it is answered through the error mapping and retried on the next request.
 */
export function fetchHandler<Deps>(
  router: Router<Deps>,
  createDeps: () => Promise<Deps>,
  log: Logger,
): (request: Request) => Promise<Response> {
  let deps: Promise<Deps> | undefined;
  return async (request) => {
    const requestId = crypto.randomUUID();
    let reply: Reply;
    try {
      deps ??= createDeps().catch((error: unknown) => {
        deps = undefined;
        throw error;
      });
      // Held in a local: a failed creation resets `deps` while this request is still reading its body.
      const ready = deps;
      const apiRequest = await toApiRequest(request, requestId);
      reply = await router.dispatch(apiRequest, await ready);
    } catch (error) {
      reply = errorReply(error, log, requestId);
    }
    return toResponse(reply);
  };
}
