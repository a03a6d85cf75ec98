/**
 * The write paths of a save, by which tiers answer (DESIGN.md, durability contract):
 * - hot up:             one Lua round trip (the version authority), then the Postgres commit when the plan asks;
 *                       Postgres down → the fallback store ("spooled"); fallback down too → revert, 503.
 * - hot down:           Postgres is the authority (compare-and-set on its head) for every save ("durable").
 * - hot and durable down: the fallback store, checked against its own newest spooled version ("spooled").
 * Never a 2xx for a version that is not stored.
 */
import {
  IdempotencyMismatch,
  RunCompleted,
  SpoolBacklog,
  TierRejected,
  TierUnavailable,
  VersionConflict,
} from '../errors.ts';
import type { RunFields } from '../tiers/durable/port.ts';
import type { IdempotencyWrite, RunKey, SaveReceipt, StoredVersion } from '../tiers/types.ts';
import type { ServiceDeps } from './deps.ts';

export interface PendingWrite {
  readonly key: RunKey;
  readonly record: StoredVersion;
  readonly fields: RunFields;
  /** The receipt this save answers when it lands where the plan asked. */
  readonly receipt: SaveReceipt;
  readonly idempotency: IdempotencyWrite | undefined;
}

const withDurability = (write: PendingWrite, durability: SaveReceipt['durability']): PendingWrite => {
  const receipt = { ...write.receipt, durability };
  return { ...write, receipt, idempotency: write.idempotency && { ...write.idempotency, receipt } };
};

/** After the hot write: commit in Postgres, or spool, or undo the hot write and refuse. */
export async function commitAfterHot(deps: ServiceDeps, write: PendingWrite): Promise<SaveReceipt> {
  const { key, record } = write;
  const revert = () =>
    deps.hot.revert(key, record.version, record.hash, write.idempotency?.key).catch((error: unknown) => {
      deps.log.error(
        { err: error, runId: key.runId, version: record.version },
        'revert of the hot write failed',
      );
    });
  let committed: Awaited<ReturnType<ServiceDeps['durable']['commit']>>;
  try {
    committed = await deps.durable.commit(key, record, {
      run: write.fields,
      ...(write.idempotency && { idempotency: write.idempotency }),
    });
  } catch (error) {
    if (!(error instanceof TierUnavailable)) {
      await revert();
      throw error;
    }
    const missed = deps.instance.missedByHot(key);
    if (missed !== undefined && record.version <= missed) {
      // The hot tier's compare-and-set ran against a copy older than Postgres' head: the version is taken.
      await revert();
      // By this very save, perhaps: a retry whose first attempt Postgres took while Redis was away. Only
      // Postgres' receipt can tell, so a save with an Idempotency-Key is asked to retry (503), not refused.
      if (write.idempotency) throw error;
      throw new VersionConflict(missed, record.version - 1);
    }
    // The hot write stands (it is the head); the fallback keeps the durable copy until the drain commits it.
    try {
      return await spool(deps, withDurability(write, 'spooled'));
    } catch (spoolError) {
      await revert();
      throw spoolError;
    }
  }
  switch (committed.status) {
    case 'committed':
      return write.receipt;
    case 'replayed':
      // The hot tier had lost the receipt (restart) but Postgres kept it: the first answer stands.
      await revert();
      return committed.receipt;
    case 'conflict':
      await revert();
      throw new VersionConflict(committed.currentVersion, record.version - 1);
    case 'idempotency_mismatch':
      await revert();
      throw new IdempotencyMismatch(write.idempotency?.key ?? '');
    case 'sealed':
      await revert();
      throw new RunCompleted(key.runId, null);
  }
}

/** The hot tier is down: Postgres arbitrates versions; if it is down too, the fallback store does. */
export async function writeWithoutHot(deps: ServiceDeps, pending: PendingWrite): Promise<SaveReceipt> {
  const write = withDurability(pending, 'durable');
  const { key, record } = write;
  try {
    const commit = () =>
      deps.durable.commit(key, record, {
        run: write.fields,
        requireHead: record.version - 1,
        ...(write.idempotency && { idempotency: write.idempotency }),
      });
    let committed = await commit();
    if (committed.status === 'conflict' && committed.currentVersion < record.version - 1) {
      // The versions in between may sit in the fallback spool (saved while Postgres was down): replay them
      // now rather than make the writer wait for the drain, then try once more.
      const replay = await replaySpooled(deps, write, committed.currentVersion);
      if (replay === 'partial') {
        throw new SpoolBacklog(record.version - 1 - committed.currentVersion - MAX_INLINE_REPLAY);
      }
      if (replay === 'complete') committed = await commit();
    }
    switch (committed.status) {
      case 'committed':
        // The hot tier is probably still down: until a promotion lands, its copy of the run is stale.
        deps.instance.noteHotBehind(key, record.version);
        deps.hot
          .promote(key, record, 3600)
          .then((written) => written && deps.instance.hotCaughtUp(key, record.version))
          .catch(() => {});
        return write.receipt;
      case 'replayed':
        return committed.receipt;
      case 'conflict':
        throw new VersionConflict(committed.currentVersion, record.version - 1);
      case 'idempotency_mismatch':
        throw new IdempotencyMismatch(write.idempotency?.key ?? '');
      case 'sealed':
        throw new RunCompleted(key.runId, null);
    }
  } catch (error) {
    if (!(error instanceof TierUnavailable) || error.tier !== 'durable') throw error;
    return spoolChecked(deps, withDurability(pending, 'spooled'));
  }
}

/** Both tiers down: compare against the newest version this fallback store holds for the run, then spool. */
async function spoolChecked(deps: ServiceDeps, write: PendingWrite): Promise<SaveReceipt> {
  const fallback = requireFallback(deps);
  const { key, record } = write;
  return deps.instance.withRunLock(key, async () => {
    const newest = await fallback.loadLatest(key);
    if (newest && newest.version !== record.version - 1) {
      if (newest.version === record.version && newest.hash === record.hash) return write.receipt;
      throw new VersionConflict(newest.version, record.version - 1);
    }
    return spool(deps, write);
  });
}

async function spool(deps: ServiceDeps, write: PendingWrite): Promise<SaveReceipt> {
  await requireFallback(deps).spool({
    key: write.key,
    record: write.record,
    run: write.fields,
    spooledAt: deps.now(),
    ...(write.idempotency && { idempotency: write.idempotency }),
  });
  deps.log.warn({ runId: write.key.runId, version: write.record.version }, 'durable tier down: save spooled');
  return write.receipt;
}

function requireFallback(deps: ServiceDeps) {
  if (!deps.fallback) throw new TierUnavailable('fallback', 'no fallback store is configured');
  return deps.fallback;
}

/**
 * A save replays at most this many spooled versions before its own commit, so no request waits on a long
 * backlog (an outage of minutes can spool hundreds of versions of one run); it asks to be retried instead.
 */
const MAX_INLINE_REPLAY = 16;

/**
 * Commits the spooled versions after `durableHead` towards the writer's base: 'complete' when all of them were
 * there, 'partial' when the base is spooled but more than MAX_INLINE_REPLAY versions away (the first ones
 * were committed), 'missing' when the spool lacks one (the save is then simply in conflict).
 */
async function replaySpooled(
  deps: ServiceDeps,
  write: PendingWrite,
  durableHead: number,
): Promise<'complete' | 'partial' | 'missing'> {
  if (!deps.fallback) return 'missing';
  const base = write.record.version - 1;
  const last = Math.min(base, durableHead + MAX_INLINE_REPLAY);
  // A long replay is only worth starting for a base the spool really holds.
  if (last < base && !(await deps.fallback.loadVersion(write.key, base))) return 'missing';
  for (let version = durableHead + 1; version <= last; version++) {
    const spooled = await deps.fallback.loadVersion(write.key, version);
    if (!spooled) return 'missing';
    // The drain later finds each one committed (same hash) and removes it from the spool.
    let outcome: Awaited<ReturnType<ServiceDeps['durable']['commit']>>;
    try {
      outcome = await deps.durable.commit(write.key, spooled, { run: write.fields });
    } catch (error) {
      // A spooled version the durable tier refuses as data is the drain's to quarantine; this writer's own
      // save is not at fault, so it is answered as if that version were not there (a conflict), not a 400.
      if (error instanceof TierRejected) return 'missing';
      throw error;
    }
    if (outcome.status !== 'committed') return 'missing';
  }
  return last === base ? 'complete' : 'partial';
}
