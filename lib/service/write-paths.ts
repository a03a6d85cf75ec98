/**
 * The write paths of a save, by which tiers answer (DESIGN.md, durability contract; the routes are the table
 * in failover.ts, executed by `executeSave`):
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
import type { CommitOptions, DurableCommitOutcome, RunFields } from '../tiers/durable/port.ts';
import type { IdempotencyWrite, RunKey, SaveReceipt, StoredVersion } from '../tiers/types.ts';
import type { ServiceDeps } from './deps.ts';
import { type Health, type SaveRoute, saveRoute, type TierHealth } from './failover.ts';

export interface PendingWrite {
  readonly key: RunKey;
  /** What the save stores: a patch on its base, or the whole state. */
  readonly record: StoredVersion;
  /** The same version whole, made on demand: for the spool, a promotion, a tier that lacks the patch's base. */
  readonly whole: () => StoredVersion;
  readonly fields: RunFields;
  /** The receipt this save answers when it lands where the plan asked. */
  readonly receipt: SaveReceipt;
  readonly idempotency: IdempotencyWrite | undefined;
}

const withDurability = (write: PendingWrite, durability: SaveReceipt['durability']): PendingWrite => {
  const receipt = { ...write.receipt, durability };
  return { ...write, receipt, idempotency: write.idempotency && { ...write.idempotency, receipt } };
};

/** What the hot tier's compare-and-set (save.ts) made of a save. */
export type HotStepResult =
  /** Nothing more to do: a replayed receipt, or the first answer of an idempotent retry. */
  | { readonly kind: 'answered'; readonly receipt: SaveReceipt }
  /** The hot tier holds the new head. */
  | { readonly kind: 'written'; readonly newRun: boolean }
  /** The hot copy is behind the writer's base (it missed saves made while it was away): it cannot arbitrate. */
  | { readonly kind: 'stale' };

/**
 * The save was built on a cached base the hot CAS did not confirm (it answered 'base_changed', or the save must
 * take a route without the hot CAS): save.ts reads the base from the tiers and saves again. Never an answer.
 */
export class BaseUnverified extends Error {
  override readonly name = 'BaseUnverified';
}

export interface SaveAttempt {
  readonly pending: PendingWrite;
  /** Whether the tenant's plan makes this save durable. */
  readonly durableSave: boolean;
  /** Built on a cached base: only a route through the hot compare-and-set (which checks its hash) may store it. */
  readonly baseUnverified: boolean;
  readonly hotStep: () => Promise<HotStepResult>;
}

interface Progress {
  hotWritten: boolean;
  newRun: boolean;
  /** The last tier failure that moved the save to another route. */
  outage: TierUnavailable | undefined;
}

type Step = (deps: ServiceDeps, attempt: SaveAttempt, progress: Progress) => Promise<SaveReceipt | 'stale'>;

/**
 * Runs a save along the failover table (failover.ts): starts on the route for "every tier up", and each time a
 * tier fails a call, marks it down and continues on the route its row names, from where the save got to (a hot
 * write already made is not made again; one that no route can keep is reverted).
 */
export async function executeSave(deps: ServiceDeps, attempt: SaveAttempt): Promise<SaveReceipt> {
  const health: Record<keyof TierHealth, Health> = { hot: 'up', durable: 'up', fallback: 'up' };
  const progress: Progress = { hotWritten: false, newRun: false, outage: undefined };
  for (;;) {
    const route = saveRoute(health, attempt.durableSave);
    if (route === 'refuse') {
      if (progress.hotWritten) await revertHot(deps, attempt.pending);
      throw progress.outage ?? new TierUnavailable('durable', 'no tier can store this save');
    }
    try {
      const result = await STEPS[route](deps, attempt, progress);
      if (result !== 'stale') return result;
      health.hot = 'down';
    } catch (error) {
      if (!(error instanceof TierUnavailable) || !isRouted(error.tier) || health[error.tier] === 'down')
        throw error;
      health[error.tier] = 'down';
      progress.outage = error;
    }
  }
}

const isRouted = (tier: string): tier is keyof TierHealth =>
  tier === 'hot' || tier === 'durable' || tier === 'fallback';

/** The hot compare-and-set, once: an answer or 'stale' ends the step; null when the hot write is made. */
async function hotFirst(attempt: SaveAttempt, progress: Progress): Promise<SaveReceipt | 'stale' | null> {
  if (progress.hotWritten) return null;
  const result = await attempt.hotStep();
  if (result.kind === 'answered') return result.receipt;
  if (result.kind === 'stale') return 'stale';
  progress.hotWritten = true;
  progress.newRun = result.newRun;
  return null;
}

const STEPS: Record<Exclude<SaveRoute, 'refuse'>, Step> = {
  async hot(deps, attempt, progress) {
    const answered = await hotFirst(attempt, progress);
    if (answered !== null) return answered;
    const { key, fields, receipt } = attempt.pending;
    // The run index lives in Postgres for every plan; a hot-only run is registered on its first save.
    if (progress.newRun)
      await deps.durable.ensureRun(key, fields).catch((error: unknown) => {
        deps.log.warn({ err: error, runId: key.runId }, 'run not indexed yet: the durable tier is down');
      });
    return receipt;
  },
  async 'hot-then-durable'(deps, attempt, progress) {
    return (await hotFirst(attempt, progress)) ?? commitAfterHot(deps, attempt.pending);
  },
  async 'hot-then-spool'(deps, attempt, progress) {
    return (await hotFirst(attempt, progress)) ?? spoolAfterHot(deps, attempt.pending, progress.outage);
  },
  async 'durable-arbitrates'(deps, attempt) {
    if (attempt.baseUnverified) throw new BaseUnverified();
    return commitWithoutHot(deps, attempt.pending);
  },
  async 'spool-checked'(deps, attempt) {
    if (attempt.baseUnverified) throw new BaseUnverified();
    return spoolChecked(deps, withDurability(attempt.pending, 'spooled'));
  },
};

/** Undo a hot write no route could keep: the replaced head comes back, the receipt goes. */
function revertHot(deps: ServiceDeps, write: PendingWrite): Promise<void> {
  const { key, record } = write;
  return deps.hot.revert(key, record.version, record.hash, write.idempotency?.key).catch((error: unknown) => {
    deps.log.error(
      { err: error, runId: key.runId, version: record.version },
      'revert of the hot write failed',
    );
  });
}

/** After the hot write: commit in Postgres (its outage goes back to the table); anything else undoes it. */
async function commitAfterHot(deps: ServiceDeps, write: PendingWrite): Promise<SaveReceipt> {
  let committed: DurableCommitOutcome;
  try {
    committed = await commitLink(deps, write, {
      run: write.fields,
      ...(write.idempotency && { idempotency: write.idempotency }),
    });
  } catch (error) {
    if (!(error instanceof TierUnavailable)) await revertHot(deps, write);
    throw error;
  }
  if (committed.status === 'committed') return write.receipt;
  // Anything else wrote nothing in Postgres: the hot write goes too. ('replayed': the hot tier had lost the
  // receipt, a restart, but Postgres kept it: the first answer stands.)
  await revertHot(deps, write);
  return answerOf(committed, write);
}

/**
 * Commit the save's record; a patch whose base Postgres does not hold (a version it never got, the hot tier's
 * chain having moved on without it) is committed whole instead, in a second statement.
 */
async function commitLink(
  deps: ServiceDeps,
  write: PendingWrite,
  options: CommitOptions,
): Promise<DurableCommitOutcome> {
  const committed = await deps.durable.commit(write.key, write.record, options);
  if (committed.status !== 'base_missing') return committed;
  return deps.durable.commit(write.key, write.whole(), options);
}

/** The answer a commit outcome gives a save: its receipt, the first answer of a retry, or the refusal. */
function answerOf(committed: DurableCommitOutcome, write: PendingWrite): SaveReceipt {
  switch (committed.status) {
    case 'committed':
      return write.receipt;
    case 'replayed':
      return committed.receipt;
    case 'conflict':
      throw new VersionConflict(committed.currentVersion, write.record.version - 1);
    case 'idempotency_mismatch':
      throw new IdempotencyMismatch(write.idempotency?.key ?? '');
    case 'sealed':
      throw new RunCompleted(write.key.runId, null);
    case 'base_missing':
      throw new Error('a whole state was refused for a missing base');
  }
}

/** Postgres is down after the hot write: the fallback keeps the durable copy, unless the hot CAS was stale. */
async function spoolAfterHot(
  deps: ServiceDeps,
  write: PendingWrite,
  outage: TierUnavailable | undefined,
): Promise<SaveReceipt> {
  const { key, record } = write;
  const missed = Math.max(deps.instance.missedByHot(key) ?? 0, await spooledHead(deps, key));
  if (record.version <= missed) {
    // The hot tier's compare-and-set ran against a copy older than Postgres' head: the version is taken.
    await revertHot(deps, write);
    // By this very save, perhaps: a retry whose first attempt Postgres took while Redis was away. Only
    // Postgres' receipt can tell, so a save with an Idempotency-Key is asked to retry (503), not refused.
    if (write.idempotency)
      throw outage ?? new TierUnavailable('durable', 'Postgres could not vouch for this retry');
    throw new VersionConflict(missed, record.version - 1);
  }
  // The hot write stands (it is the head); the fallback keeps the durable copy until the drain commits it.
  try {
    return await spool(deps, withDurability(write, 'spooled'));
  } catch (error) {
    if (!(error instanceof TierUnavailable)) await revertHot(deps, write);
    throw error;
  }
}

/** The newest version the fallback store holds for the run (0 for none): one spooled, or a hot debt. */
async function spooledHead(deps: ServiceDeps, key: RunKey): Promise<number> {
  return (await deps.fallback?.loadLatest(key))?.version ?? 0;
}

/** The hot tier cannot arbitrate: Postgres does, by compare-and-set on its head (its outage goes back to the table). */
async function commitWithoutHot(deps: ServiceDeps, pending: PendingWrite): Promise<SaveReceipt> {
  const write = withDurability(pending, 'durable');
  const { key, record } = write;
  const commit = () =>
    commitLink(deps, write, {
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
  if (committed.status === 'committed') {
    // The hot tier is probably still down: until a promotion lands, its copy of the run is stale. This instance
    // remembers it; every other instance learns it from the fallback store (noteHotDebt).
    deps.instance.noteHotBehind(key, record.version);
    await noteHotDebt(deps, write);
    deps.hot
      .promote(key, write.whole(), 3600)
      .then((written) => written && deps.instance.hotCaughtUp(key, record.version))
      .catch(() => {});
  }
  return answerOf(committed, write);
}

/**
 * Records in the fallback store that the hot copy lacks a version Postgres committed without it: a spooled copy
 * of that version (whole). Every instance's read sees the spool overtake the hot head and reads below it
 * (read-path.ts), and spoolAfterHot refuses to spool over it; the drain finds it committed, promotes it into
 * Redis and only then removes it — the debt is paid. Best effort: without a fallback (or with it down) only this
 * instance knows, and the consistency check repairs the hot copy (hot_behind_durable).
 */
async function noteHotDebt(deps: ServiceDeps, write: PendingWrite): Promise<void> {
  if (!deps.fallback) return;
  try {
    await deps.fallback.spool({
      key: write.key,
      record: write.whole(),
      run: write.fields,
      spooledAt: deps.now(),
    });
  } catch (error) {
    deps.log.warn(
      { err: error, runId: write.key.runId, version: write.record.version },
      'the hot copy is behind Postgres and the fallback store could not record it',
    );
  }
}

/**
 * Both tiers down: compare against the newest version the fallback store holds for the run, then take the
 * version in the store (claimVersion: atomic across every instance sharing it) and spool. Without the claim two
 * instances could both find version - 1 newest and spool the same version with different contents, each
 * acknowledged: one of them lost at the drain.
 *
 * Only a spooled version at or past the new one refutes the writer. One below its base (a hot debt the drain has
 * not paid yet: Postgres went on after it) says no more than an empty spool, and is treated like one. Answered
 * 409 with that older version as `currentVersion`, it locked every run with an unpaid debt out of the spool for
 * a whole double outage (GOLDEN_RECOVERY_FLOW, seed 206: 100 of 100 saves 409), and invited a writer to rebase
 * onto a version Postgres had long passed.
 */
async function spoolChecked(deps: ServiceDeps, write: PendingWrite): Promise<SaveReceipt> {
  const fallback = requireFallback(deps);
  const { key, record } = write;
  const newest = await fallback.loadLatest(key);
  if (newest && newest.version >= record.version) {
    if (newest.version === record.version && newest.hash === record.hash) return write.receipt;
    throw new VersionConflict(newest.version, record.version - 1);
  }
  if ((await fallback.claimVersion(key, record.version, record.hash)) === 'taken')
    throw new VersionConflict(record.version, record.version - 1);
  // 'claimed' again by a retry whose first attempt spooled already: the store keeps both, the same content.
  return spool(deps, write);
}

async function spool(deps: ServiceDeps, write: PendingWrite): Promise<SaveReceipt> {
  await requireFallback(deps).spool({
    key: write.key,
    // The spool keeps whole states: the drain commits them in any order, and a load may be served from it.
    record: write.whole(),
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
    let outcome: DurableCommitOutcome;
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
