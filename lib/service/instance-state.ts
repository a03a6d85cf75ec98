/**
 * What one service instance remembers between requests: an optimisation and a courtesy, never the truth, which
 * lives in the tiers. Created per service (createPersistenceService), passed through its deps — not module
 * state — so two services in one process (tests, a Worker isolate) share nothing by accident.
 *
 * - `hotBehind`: runs whose hot copy misses a version this instance committed to Postgres while Redis could not
 *   be written (run → the newest such version). While a run is here, loads skip its hot copy and a save the hot
 *   tier accepted on top of it is not spooled; the entry goes once a promotion lands or the hot copy moves past
 *   it. Another instance does not know it: the consistency check (hot_behind_durable) repairs what is left.
 * - `heads`: the newest state this instance saved or loaded per run (the state, version, hash), so a patch on
 *   that version needs no read of its base, and shares with it what it does not change (shared-json.ts); and a
 *   load that fails over to Postgres needs only the head's version and hash from it, not its chain. Never
 *   trusted on its own: the hot tier's compare-and-set checks the base's hash in the same Lua call (save.ts),
 *   and a save that cannot go through it reads the base again; Postgres confirms the version and hash of a
 *   head served from here (read-path.ts).
 */
import { createBoundedLru } from '../cache/bounded-lru.ts';
import type { DeepAgentState } from '../model/state.ts';
import type { ChainPosition, RunKey } from '../tiers/types.ts';

/** Bounded: the oldest entries are forgotten first. */
const MAX_HOT_BEHIND = 100_000;
/**
 * The head cache holds at most this many runs and states of this many canonical JSON bytes, oldest used first
 * out. A state as objects, with its subtrees' canonical JSON remembered, takes a few times its JSON in memory.
 */
const MAX_CACHED_HEADS = 2_000;
const MAX_CACHED_BYTES = 32 * 2 ** 20;

export interface CachedHead {
  readonly version: number;
  readonly hash: string;
  /** Bytes of the state's canonical JSON (sha256 of which is `hash`). */
  readonly sizeBytes: number;
  /** Where the version sits in its delta chain, for the snapshot policy of the next save. */
  readonly chain: ChainPosition;
  /** The state, never modified (the next version shares its subtrees; remembered ones are frozen); parsed on first use. */
  state(): DeepAgentState;
  /** The state's canonical JSON, which a load answers when the tiers confirm this is still the head. */
  json(): string;
}

/** A cached head from the state a save built, with its canonical JSON as the save made it (versions.ts). */
export function headOfState(
  head: Omit<CachedHead, 'state' | 'json'>,
  state: DeepAgentState,
  json: () => string,
): CachedHead {
  return { ...head, state: () => state, json };
}

/** A cached head from a loaded version's canonical JSON, parsed only if a save builds on it. */
export function headOfJson(head: Omit<CachedHead, 'state' | 'sizeBytes' | 'json'>, json: string): CachedHead {
  let parsed: DeepAgentState | undefined;
  return {
    ...head,
    sizeBytes: json.length,
    state: () => {
      parsed ??= JSON.parse(json) as DeepAgentState;
      return parsed;
    },
    json: () => json,
  };
}

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
  /** Remember the run's newest known state (a newer version replaces an older one, never the reverse). */
  rememberHead(key: RunKey, head: CachedHead): void;
  /** The cached state of `version` of the run, if that is the version cached. */
  cachedHead(key: RunKey, version: number): CachedHead | undefined;
  /** The newest state cached of the run, whatever its version. */
  newestHead(key: RunKey): CachedHead | undefined;
  forgetHead(key: RunKey): void;
}

export function createInstanceState(): InstanceState {
  const hotBehind = createBoundedLru<number>({ maxEntries: MAX_HOT_BEHIND });
  const heads = createBoundedLru<CachedHead>({
    maxEntries: MAX_CACHED_HEADS,
    maxSize: MAX_CACHED_BYTES,
    sizeOf: (head) => head.sizeBytes,
    maxValueSize: MAX_CACHED_BYTES / 16, // one huge state must not flush the rest
  });
  return {
    rememberHead(key, head) {
      const name = runName(key);
      const known = heads.peek(name);
      if (known && known.version > head.version) return;
      heads.set(name, head);
    },
    cachedHead(key, version) {
      const name = runName(key);
      return heads.peek(name)?.version === version ? heads.get(name) : undefined;
    },
    newestHead: (key) => heads.get(runName(key)),
    forgetHead: (key) => heads.delete(runName(key)),
    noteHotBehind(key, version) {
      const name = runName(key);
      // Re-set as the newest: eviction goes oldest noted first.
      hotBehind.set(name, Math.max(hotBehind.peek(name) ?? 0, version));
    },
    hotCopyBehind(key, hotVersion) {
      const missed = hotBehind.peek(runName(key));
      if (missed === undefined) return false;
      if (hotVersion <= missed) return true;
      hotBehind.delete(runName(key)); // a save reached the hot tier since: it is current again
      return false;
    },
    missedByHot: (key) => hotBehind.peek(runName(key)),
    hotCaughtUp(key, version) {
      const missed = hotBehind.peek(runName(key));
      if (missed !== undefined && version >= missed) hotBehind.delete(runName(key));
    },
  };
}
