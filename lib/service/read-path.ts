/**
 * The read path: hot → durable → archive → fallback. A tier that is unavailable is skipped; a version found
 * below the hot tier is promoted back up so the next read is fast. Below the hot tier the newest version
 * wins: a save spooled while Postgres was down is newer than Postgres' head until the drain replays it.
 */
import { TierUnavailable } from '../errors.ts';
import { PLANS } from '../plans.ts';
import type { RunKey, StoredVersion } from '../tiers/types.ts';
import type { Caller, ServiceDeps } from './deps.ts';
import { loadRoute } from './failover.ts';

export type ServedBy = 'hot' | 'durable' | 'archive' | 'fallback';

export interface Found {
  readonly record: StoredVersion;
  readonly servedBy: ServedBy;
}

type Source = (deps: ServiceDeps, key: RunKey, version?: number) => Promise<StoredVersion | null>;

/** Runs a tier read; an unavailable tier answers "not here" (and is logged) unless it is the only one left. */
async function attempt(deps: ServiceDeps, tier: ServedBy, read: () => Promise<StoredVersion | null>) {
  try {
    return { record: await read(), error: null };
  } catch (error) {
    if (!(error instanceof TierUnavailable)) throw error;
    deps.log.warn({ err: error, tier }, `${tier} tier unavailable on read; failing over`);
    return { record: null, error };
  }
}

/** The hot head, or null when the hot tier has none or cannot answer. */
export async function tryHot(deps: ServiceDeps, key: RunKey): Promise<StoredVersion | null> {
  return (await attempt(deps, 'hot', () => deps.hot.load(key))).record;
}

/**
 * The hot head when it can be served: null also when the hot copy is known to lack a version Postgres
 * committed while Redis was unreachable (instance-state.ts). A stale copy is as good as none.
 */
async function currentHot(deps: ServiceDeps, key: RunKey): Promise<StoredVersion | null> {
  const hot = await tryHot(deps, key);
  return hot && !deps.instance.hotCopyBehind(key, hot.version) ? hot : null;
}

/**
 * Postgres' head. When this instance holds a state of the run (it saved or loaded it), Postgres is asked only
 * whether that is still the head, by version and content hash, and the state is served from here: no chain is
 * sent or rebuilt. Otherwise the head's chain is read and rebuilt.
 */
async function durableHead(deps: ServiceDeps, key: RunKey): Promise<StoredVersion | null> {
  const known = deps.instance.newestHead(key);
  if (!known) return deps.durable.loadLatest(key);
  const read = await deps.durable.loadLatestUnless(key, { version: known.version, hash: known.hash });
  if (read === null || !('stands' in read)) return read;
  return {
    version: known.version,
    hash: known.hash,
    checkpoint: read.checkpoint,
    encoding: 'json',
    payload: known.json(),
    sizeBytes: read.sizeBytes,
    savedAt: read.savedAt,
    chain: known.chain,
  };
}

const lowerTiers: ReadonlyArray<[ServedBy, Source]> = [
  ['durable', (d, k, v) => (v === undefined ? durableHead(d, k) : d.durable.loadVersion(k, v))],
  [
    'archive',
    (d, k, v) =>
      !d.archive
        ? Promise.resolve(null)
        : v === undefined
          ? d.archive.loadLatest(k)
          : d.archive.loadVersion(k, v),
  ],
  [
    'fallback',
    (d, k, v) =>
      !d.fallback
        ? Promise.resolve(null)
        : v === undefined
          ? d.fallback.loadLatest(k)
          : d.fallback.loadVersion(k, v),
  ],
];

/**
 * The newest version (or `version`) below the hot tier. Tiers are asked in order; for the head, the fallback is
 * always consulted too, since it may hold a newer spooled version. If every tier that could hold it failed,
 * the failure is thrown (a 503, not a 404). For the head, the load table (failover.ts) decides what may be
 * served: with Postgres down, a head found only in the spool is not (the spool knows only what was spooled;
 * a writer building on it was acknowledged `spooled` for a version number Postgres already held with other
 * content, seen in GOLDEN_HIGH_CONCURRENCY_FLOW). Better a 503.
 */
async function readBelowHot(deps: ServiceDeps, key: RunKey, version?: number): Promise<Found | null> {
  let best: Found | null = null;
  let failure: TierUnavailable | null = null;
  const failed = new Map<ServedBy, TierUnavailable>();
  for (const [tier, read] of lowerTiers) {
    if (best && (version !== undefined || tier !== 'fallback')) continue;
    const { record, error } = await attempt(deps, tier, () => read(deps, key, version));
    failure ??= error;
    if (error) failed.set(tier, error);
    if (record && (!best || record.version > best.record.version)) best = { record, servedBy: tier };
  }
  if (version === undefined) {
    const health = {
      hot: 'down',
      durable: failed.has('durable') ? 'down' : 'up',
      fallback: failed.has('fallback') ? 'down' : 'up',
    } as const;
    if (loadRoute(health) === 'archive-or-refuse' && best?.servedBy !== 'archive') {
      throw failed.get('durable') ?? new TierUnavailable('durable', 'the durable tier could not be read');
    }
  }
  if (!best && failure) throw failure;
  return best;
}

/**
 * The newest version of a run from the first tier that has it. A hot head is checked against the fallback
 * spool first: while Redis was unreachable and Postgres down too, saves were acknowledged `spooled` with
 * versions the hot copy never saw, and once Redis is back its (retained) head is older than them. Serving that
 * stale head would let the writer build on it and acknowledge the same version numbers again with other
 * content (seen in GOLDEN_HIGH_CONCURRENCY_FLOW). A hot copy the spool has overtaken is skipped and the head
 * is read below it, where Postgres and the spool are compared (Postgres may be newer still). The spool is
 * normally empty, and the local-folder store then answers from its in-memory index without touching the disk.
 */
export async function readHead(deps: ServiceDeps, caller: Caller, key: RunKey): Promise<Found | null> {
  const hot = await currentHot(deps, key);
  if (hot && !(await spooledBeyond(deps, key, hot))) return { record: hot, servedBy: 'hot' };
  const found = await readBelowHot(deps, key);
  if (found) promote(deps, caller, key, found.record);
  return found;
}

/**
 * Whether the spool has overtaken the hot head: a newer version, or the same version with other content (a save
 * acknowledged `spooled` over a hot-only one its writer had lost sight of). An unavailable spool counts as empty.
 */
async function spooledBeyond(deps: ServiceDeps, key: RunKey, hot: StoredVersion): Promise<boolean> {
  if (!deps.fallback) return false;
  const fallback = deps.fallback;
  const { record } = await attempt(deps, 'fallback', () => fallback.loadLatest(key));
  return (
    record !== null &&
    (record.version > hot.version || (record.version === hot.version && record.hash !== hot.hash))
  );
}

/** One version of a run. The hot tier holds only the head, so older versions come from below. */
export async function readVersion(deps: ServiceDeps, key: RunKey, version: number): Promise<Found | null> {
  const hot = await currentHot(deps, key);
  if (hot?.version === version) return { record: hot, servedBy: 'hot' };
  return readBelowHot(deps, key, version);
}

/**
 * Put a version read from a lower tier back into the hot tier, without delaying the reader: started on the next
 * turn of the event loop, after the answer is on its way. Called directly, the promotion's own synchronous work
 * (the record as JSON, the request written to the socket) ran before the reader got its state.
 */
function promote(deps: ServiceDeps, caller: Caller, key: RunKey, record: StoredVersion): void {
  const ttl = PLANS[caller.tenant.plan].hotTtlSeconds;
  setImmediate(() => {
    deps.hot
      .promote(key, record, ttl)
      .then((written) => written && deps.instance.hotCaughtUp(key, record.version))
      .catch((error: unknown) => {
        deps.log.warn({ err: error, runId: key.runId }, 'promotion to the hot tier failed');
      });
  });
}
