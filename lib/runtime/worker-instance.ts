/**
 * The composition root of the Worker, once per isolate: configuration from its `env` bindings, the logger, the
 * tiers, the state API's deps and the lifecycle jobs. Tiers are opened on the first request or trigger (workerd
 * refuses I/O and timers in the global scope) and shared by every later one.
 */
import type { StateApiDeps } from '../../functions/state-api/handlers.ts';
import { loadConfig } from '../config.ts';
import { fetchHandler } from '../http/fetch.ts';
import type { Router } from '../http/router.ts';
import { stateApiDeps } from './state-api.ts';
import type { Tiers } from './tiers.ts';
import { type CronOutcome, runCron, type WorkerJobs, workerJobs } from './worker-jobs.ts';
import { createWorkerLogger } from './worker-logger.ts';
import { openWorkerTiers } from './worker-tiers.ts';

/** A Worker's bindings: text variables and secrets are strings; other kinds (KV, services…) are ignored. */
export type WorkerEnv = Readonly<Record<string, unknown>>;

export interface WorkerInstance {
  readonly fetch: (request: Request) => Promise<Response>;
  scheduled(cron: string): Promise<CronOutcome>;
}

function textBindings(env: WorkerEnv): Record<string, string> {
  const text: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) if (typeof value === 'string') text[name] = value;
  return text;
}

/** Throws ConfigError when the bindings are invalid, naming the variable. */
export function createWorkerInstance(env: WorkerEnv, routes: Router<StateApiDeps>): WorkerInstance {
  const config = loadConfig(textBindings(env));
  const log = createWorkerLogger(config.logLevel);
  let opened: { readonly tiers: Tiers; readonly api: StateApiDeps; readonly jobs: WorkerJobs } | undefined;
  const open = () => {
    if (!opened) {
      const tiers = openWorkerTiers(config, log);
      opened = { tiers, api: stateApiDeps(config, tiers, log), jobs: workerJobs(config, tiers, log) };
    }
    return opened;
  };
  return {
    fetch: fetchHandler(routes, async () => open().api, log),
    scheduled: async (cron) => runCron(cron, open().jobs, log),
  };
}
