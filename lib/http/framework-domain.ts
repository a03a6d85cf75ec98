/**
 * Serves Strata's HTTP functions without functions-framework's per-request `node:domain`.
 *
 * functions-framework 5 runs every HTTP invocation inside `domain.create().run(…)` (function_wrappers.js) to turn
 * an exception thrown out of the request's async context into a 500. Creating the first Domain enables the domain
 * module's async hook for the life of the process, and from then on every promise the process makes pays for an
 * init hook, a destroy hook (a weak callback per promise) and enter/exit around each callback. Under the agent
 * workload that was ≈19% of the function process's CPU (bench/workload, BENCH_CPU_PROFILE; docs/decisions.md,
 * "No request domain"). Strata's handlers need none of it: expressHandler and scheduledHandler catch every error
 * of their promise chain and answer it as JSON themselves.
 *
 * The framework offers no option for this, so the one function that builds the Express handler of a user
 * function, `wrapUserFunction`, is wrapped: an HTTP function marked by `servedWithoutDomain` gets a plain handler,
 * anything else the framework's own. The server reads the export at the moment it builds the server, so the
 * patch applies to the deployed entry point (`functions-framework --target`), `getTestServer` and `npm start`
 * alike. test/e2e/framework-domain pins it: if an upgrade moves the seam, the test fails instead of the domain
 * quietly coming back.
 *
 * What changes: an exception thrown outside a handler's promise chain (a timer, an event callback) reaches the
 * framework's `uncaughtException` handler, which answers 500 and ends the instance, as Node recommends, instead
 * of being pinned on one request. Nothing acknowledged depends on an instance living (DESIGN.md).
 */
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { HttpFunction, Request, Response } from '@google-cloud/functions-framework';
import type { Logger } from '../observability/logger.ts';
import { serialiseBody } from './json.ts';

type ExpressHandler = (req: Request, res: Response) => void;
type WrapUserFunction = (userFunction: unknown, signatureType: string) => ExpressHandler;

/** The plain Express handler a marked function is served by. */
const DIRECT_HANDLER = Symbol.for('strata.directHandler');

interface Marked {
  readonly [DIRECT_HANDLER]?: ExpressHandler;
}

let installed = false;

function installWrapperPatch(): void {
  if (installed) return;
  installed = true;
  // The package's `exports` hides build/src/*; an absolute path is the same module instance server.js requires.
  const require = createRequire(import.meta.url);
  const wrappersPath = join(
    dirname(require.resolve('@google-cloud/functions-framework')),
    'function_wrappers.js',
  );
  const wrappers = require(wrappersPath) as { wrapUserFunction: WrapUserFunction };
  const original = wrappers.wrapUserFunction;
  if (typeof original !== 'function')
    throw new Error(
      `functions-framework moved wrapUserFunction (looked in ${wrappersPath}): update this seam`,
    );
  wrappers.wrapUserFunction = (userFunction, signatureType) => {
    const direct = (userFunction as Marked | null)?.[DIRECT_HANDLER];
    return signatureType === 'http' && direct ? direct : original(userFunction, signatureType);
  };
}

/**
 * `fn`, to be registered with `ff.http`, served without a request domain. `fn` must answer every request and
 * catch its own errors; a rejection that escapes it anyway is answered 500 `internal` here (its type logged,
 * never its message, which could quote a body).
 */
export function servedWithoutDomain(fn: HttpFunction, log: Logger): HttpFunction {
  installWrapperPatch();
  const escaped = (res: Response, error: unknown) => {
    const requestId = randomUUID();
    log.error({ requestId, errorType: (error as Error | null)?.name ?? typeof error }, 'handler rejected');
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.statusCode = 500;
    res.setHeader('content-type', 'application/json; charset=utf-8');
    res.end(serialiseBody({ error: 'internal', message: 'an unexpected error occurred', requestId }));
  };
  const direct: ExpressHandler = (req, res) => {
    try {
      const ret = fn(req, res) as unknown;
      if (ret instanceof Promise) ret.catch((error: unknown) => escaped(res, error));
    } catch (error) {
      escaped(res, error);
    }
  };
  const registered: HttpFunction = (req, res) => fn(req, res);
  return Object.assign(registered, { [DIRECT_HANDLER]: direct });
}
