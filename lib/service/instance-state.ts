/**
 * What one service instance remembers between requests: an optimisation and a courtesy, never the truth, which
 * lives in the tiers. Created per service (createPersistenceService), passed through its deps — not module
 * state — so two services in one process (tests, a Worker isolate) share nothing by accident.
 *
 * - `hotBehind`: runs whose hot copy misses a version this instance committed to Postgres while Redis could not
 *   be written (run → the newest such version). While a run is here, loads skip its hot copy and a save the hot
 *   tier accepted on top of it is not spooled; the entry goes once a promotion lands or the hot copy moves past
 *   it. Another instance does not know it: the consistency check (hot_behind_durable) repairs what is left.
 * - `runLocks`: serialises work on one run where no tier can arbitrate versions (both Redis and Postgres down).
 */
import type { RunKey } from '../tiers/types.ts';

/** Bounded: the oldest entries are forgotten first. */
const MAX_HOT_BEHIND = 100_000;

const runName = (key: RunKey) => `${key.tenantId}\u0000${key.runId}`;

export interface InstanceState {
  /** The hot copy of the run lacks `version`, which Postgres holds. */
  noteHotBehind(key: RunKey, version: number): void;
  /** Whether the hot copy (whose head is `hotVersion`) lacks a version Postgres holds. */
  hotCopyBehind(key: RunKey, hotVersion: number): boolean;
  /** The newest version the run's hot copy is known to lack, if any. */
  missedByHot(key: RunKey): number | undefined;
  /** The hot tier now holds `version` of the run (a promotion was written). */
  hotCaughtUp(key: RunKey, version: number): void;
  /** Runs `work` after every earlier call for the same run has settled. */
  withRunLock<T>(key: RunKey, work: () => Promise<T>): Promise<T>;
}

export function createInstanceState(): InstanceState {
  const hotBehind = new Map<string, number>();
  const tails = new Map<string, Promise<unknown>>();
  return {
    noteHotBehind(key, version) {
      const name = runName(key);
      const known = hotBehind.get(name) ?? 0;
      hotBehind.delete(name); // re-inserted last: eviction goes oldest first
      hotBehind.set(name, Math.max(known, version));
      if (hotBehind.size > MAX_HOT_BEHIND) hotBehind.delete(hotBehind.keys().next().value as string);
    },
    hotCopyBehind(key, hotVersion) {
      const missed = hotBehind.get(runName(key));
      if (missed === undefined) return false;
      if (hotVersion <= missed) return true;
      hotBehind.delete(runName(key)); // a save reached the hot tier since: it is current again
      return false;
    },
    missedByHot: (key) => hotBehind.get(runName(key)),
    hotCaughtUp(key, version) {
      const missed = hotBehind.get(runName(key));
      if (missed !== undefined && version >= missed) hotBehind.delete(runName(key));
    },
    async withRunLock(key, work) {
      const name = runName(key);
      const previous = tails.get(name) ?? Promise.resolve();
      const current = previous.catch(() => {}).then(work);
      tails.set(name, current);
      try {
        return await current;
      } finally {
        if (tails.get(name) === current) tails.delete(name);
      }
    },
  };
}
