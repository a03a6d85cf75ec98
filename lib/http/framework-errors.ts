/**
 * Answers, as JSON, the requests functions-framework's own Express stack refuses before Strata sees them: a
 * body its body-parser cannot read (invalid JSON, a top-level scalar, an unknown charset or Content-Encoding)
 * and a path whose percent-encoding is broken; and the two paths it never passes on (/favicon.ico, /robots.txt). Express hands those errors to its final handler, which answers
 * `text/html` and logs the error object with `console.error` — and body-parser puts the raw body on that
 * object, so agent state ended up in the logs.
 *
 * functions-framework 5 offers no hook for this (GoogleCloudPlatform/functions-framework-nodejs#686), so the
 * Express application prototype of the framework's own copy of Express gets a final handler of ours: only
 * where Express would use its default one (no callback), so nothing else in the stack changes. The log line
 * names the error's type and status and never its message or body. test/e2e/framework-errors pins the
 * behaviour, so an upgrade that moves the seam fails loudly instead of quietly answering HTML again.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { Logger } from '../observability/logger.ts';
import { serialiseBody } from './json.ts';
import type { Reply } from './types.ts';

interface HttpError {
  readonly status?: unknown;
  readonly type?: unknown;
}

/** The reply for an error raised by the framework's middleware (body-parser, the router's decoding). */
export function frameworkErrorReply(error: unknown): { reply: Reply; kind: string } {
  const { status, type } = (error ?? {}) as HttpError;
  const kind = typeof type === 'string' ? type : error instanceof URIError ? 'uri.malformed' : 'unknown';
  const reply = (code: number, errorCode: string, message: string): { reply: Reply; kind: string } => ({
    reply: { status: code, body: { error: errorCode, message } },
    kind,
  });
  switch (kind) {
    case 'entity.parse.failed':
      return reply(400, 'invalid_request', 'the body is not valid JSON (a JSON object is expected)');
    case 'entity.too.large':
      return reply(413, 'too_large', 'the body is too large');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return reply(
        415,
        'unsupported_media_type',
        'send the body as application/json in UTF-8, without a Content-Encoding other than gzip, deflate or br',
      );
    case 'uri.malformed':
      return reply(400, 'invalid_request', 'the path is not valid percent-encoding');
  }
  if (typeof status === 'number' && status >= 400 && status < 500)
    return reply(400, 'invalid_request', 'the request could not be read');
  return {
    reply: { status: 500, body: { error: 'internal', message: 'an unexpected error occurred' } },
    kind,
  };
}

type Handle = (req: IncomingMessage, res: ServerResponse, callback?: (error?: unknown) => void) => void;

let installedFor: Logger | undefined;

/** functions-framework's built-in ignored routes for HTTP functions (server.js), which never reach a function. */
const IGNORED_BY_FRAMEWORK = /^\/(favicon\.ico|robots\.txt)(\/|\?|$)/;

/**
 * Installs the JSON final handler on the Express that functions-framework uses (idempotent; the last logger
 * given is the one that logs). Call before the framework builds its server: at module load of a function.
 */
export function installFrameworkErrorHandler(log: Logger): void {
  const alreadyInstalled = installedFor !== undefined;
  installedFor = log;
  if (alreadyInstalled) return;
  const fromFramework = createRequire(
    createRequire(import.meta.url).resolve('@google-cloud/functions-framework'),
  );
  const application = (fromFramework('express') as { application: { handle: Handle } }).application;
  const original = application.handle;
  application.handle = function handle(this: unknown, req, res, callback) {
    if (callback) return original.call(this, req, res, callback);
    // The framework's default "ignored routes" answer an empty 404 (no JSON) from a middleware of their own.
    if (IGNORED_BY_FRAMEWORK.test(req.url ?? '')) return answer(req, res, undefined);
    return original.call(this, req, res, (error?: unknown) => answer(req, res, error));
  };
}

function answer(req: IncomingMessage, res: ServerResponse, error: unknown): void {
  const requestId = randomUUID();
  const { reply, kind } =
    error === undefined
      ? {
          reply: { status: 404, body: { error: 'route_not_found', message: 'no route for this request' } },
          kind: 'no_route',
        }
      : frameworkErrorReply(error);
  const line = { requestId, method: req.method, status: reply.status, kind };
  if (reply.status >= 500) installedFor?.error(line, 'request failed before it reached Strata');
  else installedFor?.info(line, 'request refused before it reached Strata');
  if (res.headersSent) {
    res.destroy();
    return;
  }
  // The rest of the body (if any) is not read: the connection must not be reused for it.
  res.statusCode = reply.status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('connection', 'close');
  res.end(serialiseBody({ ...(reply.body as object), requestId }));
}
