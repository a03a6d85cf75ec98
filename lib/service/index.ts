/** The persistence service: every operation of the state API, over the tier ports, knowing nothing of HTTP. */

import type { RunFilter, RunPage } from '../tiers/durable/port.ts';
import { costAnalytics } from './analytics.ts';
import type { Caller, ServiceDeps } from './deps.ts';
import { checkHealth } from './health.ts';
import { listCheckpoints, restoreVersion } from './history.ts';
import { createInstanceState, type InstanceState } from './instance-state.ts';
import { completeRun, deleteRun } from './lifecycle.ts';
import { loadState } from './load.ts';
import { saveState } from './save.ts';
import { listStates } from './states.ts';

export type { CostReport } from './analytics.ts';
export type { Caller, ServiceDeps, ServiceSettings } from './deps.ts';
export type { PersistenceHealth } from './health.ts';
export type { CheckpointPage } from './history.ts';
export type { LoadedState } from './load.ts';
export type { SaveInput } from './save.ts';
export type { StateEntry, StatesPage } from './states.ts';

type Operation<I, O> = (deps: ServiceDeps, caller: Caller, input: I) => Promise<O>;
type Bound<F> = F extends Operation<infer I, infer O> ? (caller: Caller, input: I) => Promise<O> : never;

function bind<I, O>(deps: ServiceDeps, operation: Operation<I, O>): Bound<Operation<I, O>> {
  return ((caller: Caller, input: I) => operation(deps, caller, input)) as Bound<Operation<I, O>>;
}

/** The service over `deps`; without an `instance`, it gets its own (nothing is shared through module state). */
export function createPersistenceService(
  given: Omit<ServiceDeps, 'instance'> & { instance?: InstanceState },
) {
  const deps: ServiceDeps = { ...given, instance: given.instance ?? createInstanceState() };
  return {
    save: bind(deps, saveState),
    load: bind(deps, loadState),
    listCheckpoints: bind(deps, listCheckpoints),
    listStates: bind(deps, listStates),
    restore: bind(deps, restoreVersion),
    complete: bind(deps, completeRun),
    delete: bind(deps, deleteRun),
    listRuns: (caller: Caller, filter: RunFilter): Promise<RunPage> =>
      deps.durable.listRuns(caller.tenant.id, filter),
    costs: bind(deps, costAnalytics),
    health: () => checkHealth(deps),
  };
}

export type PersistenceService = ReturnType<typeof createPersistenceService>;
