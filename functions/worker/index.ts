/**
 * Strata as a module Worker (workerd, Cloudflare Workers): the state API on `fetch`, the lifecycle jobs on
 * `scheduled` (lib/runtime/worker-jobs.ts maps each cron to its jobs). Bundled by scripts/build-worker.ts.
 */
import { errorReply } from '../../lib/http/errors.ts';
import { toResponse } from '../../lib/http/fetch.ts';
import {
  createWorkerInstance,
  type WorkerEnv,
  type WorkerInstance,
} from '../../lib/runtime/worker-instance.ts';
import { createWorkerLogger } from '../../lib/runtime/worker-logger.ts';
import { stateApiRoutes } from '../state-api/routes.ts';

/** The part of workerd's ScheduledController this Worker reads. */
interface ScheduledController {
  readonly cron: string;
}

let instance: WorkerInstance | undefined;

function instanceOf(env: WorkerEnv): WorkerInstance {
  instance ??= createWorkerInstance(env, stateApiRoutes());
  return instance;
}

export default {
  async fetch(request: Request, env: WorkerEnv): Promise<Response> {
    let worker: WorkerInstance;
    try {
      worker = instanceOf(env);
    } catch (error) {
      // Invalid bindings: logged with the variable's name, answered as any unexpected error (500, no detail).
      return toResponse(errorReply(error, createWorkerLogger('error')));
    }
    return worker.fetch(request);
  },

  async scheduled(controller: ScheduledController, env: WorkerEnv): Promise<void> {
    await instanceOf(env).scheduled(controller.cron);
  },
};
