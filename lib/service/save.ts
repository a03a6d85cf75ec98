/**
 * Saving a state under the durability contract (DESIGN.md): the request becomes a version (patch applied,
 * limits, canonical JSON, hash) and its hot compare-and-set step; write-paths.ts runs it along the failover
 * table (failover.ts):
 * - the hot tier is the version authority: one Lua round trip does compare-and-set, write, TTL and the
 *   idempotency receipt;
 * - when the plan makes this save durable, the checkpoint is then committed in Postgres before the answer;
 *   if that fails the hot write is reverted, so no 2xx is given and nothing unacknowledged stays visible.
 */
import {
  IdempotencyMismatch,
  InvalidRequest,
  PreconditionRequired,
  RunCompleted,
  TierUnavailable,
  VersionConflict,
} from '../errors.ts';
import { canonicalJson, sha256Hex } from '../model/canonical.ts';
import type { DeepAgentState, StatePersistenceRequest } from '../model/state.ts';
import { mustBeDurable, PLANS } from '../plans.ts';
import { WHOLE_STATE } from '../tiers/chain.ts';
import type { HotSaveOutcome } from '../tiers/hot/port.ts';
import type { CheckpointType, IdempotencyWrite, RunKey, RunSummary, SaveReceipt } from '../tiers/types.ts';
import type { DeltaBase } from './deltas.ts';
import type { Caller, ServiceDeps } from './deps.ts';
import { headOfState } from './instance-state.ts';
import { applyStatePatch } from './patch.ts';
import { readHead, readVersion } from './read-path.ts';
import { buildVersion, runFieldsOf, stateOf } from './versions.ts';
import { BaseUnverified, executeSave, type HotStepResult, type PendingWrite } from './write-paths.ts';

export interface SaveInput {
  readonly runId: string;
  readonly request: StatePersistenceRequest;
  /** The version from an `If-Match` header, if any. */
  readonly ifMatch?: number;
  readonly idempotencyKey?: string;
}

export async function saveState(deps: ServiceDeps, caller: Caller, input: SaveInput): Promise<SaveReceipt> {
  const key: RunKey = { tenantId: caller.tenant.id, runId: input.runId };
  try {
    return await saveOnce(deps, caller, key, input, true);
  } catch (error) {
    if (!(error instanceof BaseUnverified)) throw error;
    // The cached base was not the head's content, the save could not have it checked, or a tier lacked the
    // base of its patch: read the base, once, and store the version whole.
    deps.instance.forgetHead(key);
    return saveOnce(deps, caller, key, input, false);
  }
}

async function saveOnce(
  deps: ServiceDeps,
  caller: Caller,
  key: RunKey,
  input: SaveInput,
  firstAttempt: boolean,
): Promise<SaveReceipt> {
  const { request } = input;
  const expectedVersion = resolveExpectedVersion(request.expectedVersion, input.ifMatch, request.baseVersion);
  const built = request.state
    ? { state: request.state, ...(firstAttempt && (await wholeStateBase(deps, key, expectedVersion))) }
    : await patchedState(deps, caller, key, request, firstAttempt);
  return writeVersion(deps, caller, key, {
    state: built.state,
    ...(built.base && { base: built.base }),
    baseFromCache: built.fromCache === true,
    checkpoint: request.checkpoint,
    expectedVersion,
    ...(request.ttlSeconds !== undefined && { ttlSeconds: request.ttlSeconds }),
    ...(input.idempotencyKey !== undefined && {
      idempotencyKey: input.idempotencyKey,
      fingerprint: fingerprintOf('save', input.runId, { request, ifMatch: input.ifMatch ?? null }),
    }),
  });
}

export interface VersionWrite {
  readonly state: DeepAgentState;
  /**
   * The version this one builds on, as the save has it: the new version is stored as a patch on it when the
   * snapshot policy allows (its hash then goes to the hot CAS and the durable commit, which check it).
   */
  readonly base?: DeltaBase;
  /** The base came from the instance's head cache, not from a tier: only the hot CAS (which checks its hash) may vouch for it. */
  readonly baseFromCache?: boolean;
  readonly checkpoint: CheckpointType;
  readonly expectedVersion: number;
  readonly ttlSeconds?: number;
  readonly idempotencyKey?: string;
  readonly fingerprint?: string;
}

/** Write `state` as version expectedVersion + 1. Shared by save and restore. */
export async function writeVersion(
  deps: ServiceDeps,
  caller: Caller,
  key: RunKey,
  write: VersionWrite,
): Promise<SaveReceipt> {
  try {
    return await writeVersionOnce(deps, caller, key, write);
  } catch (error) {
    if (error instanceof RunCompleted && error.recorded === null) {
      // Refused either way; the outcome recorded makes the answer actionable (error path only).
      const recorded = await deps.durable.getCompletion(key).catch(() => null);
      throw new RunCompleted(key.runId, recorded);
    }
    throw error;
  }
}

async function writeVersionOnce(
  deps: ServiceDeps,
  caller: Caller,
  key: RunKey,
  write: VersionWrite,
): Promise<SaveReceipt> {
  const plan = PLANS[caller.tenant.plan];
  const version = write.expectedVersion + 1;
  const { record, stored, whole, json } = buildVersion(
    write.state,
    write.checkpoint,
    version,
    deps.now(),
    deps.settings,
    write.base,
  );
  const durable = mustBeDurable(plan, write.checkpoint, version);
  const receipt: SaveReceipt = {
    runId: key.runId,
    version,
    hash: record.hash,
    durability: durable ? 'durable' : 'hot',
  };
  const idempotency: IdempotencyWrite | undefined =
    write.idempotencyKey !== undefined && write.fingerprint !== undefined
      ? {
          key: write.idempotencyKey,
          fingerprint: write.fingerprint,
          receipt,
          ttlSeconds: deps.settings.idempotencyTtlSeconds,
        }
      : undefined;
  const fields = runFieldsOf(write.state);
  const hotOptions = {
    ttlSeconds: write.ttlSeconds ?? plan.hotTtlSeconds,
    keepPrevious: durable,
    // Recorded in the same Lua call: a version the plan will make durable later is never forgotten, even if
    // this instance dies right after answering (the outbox drain commits it).
    pendingDurable: !durable && plan.durableEveryVersions !== null,
    ...(idempotency && { idempotency }),
    // The content the new version was built on must be the hot head's: checked in the same Lua call.
    ...(write.base && (write.baseFromCache || record.format === 'patch') && { baseHash: write.base.hash }),
  };

  const pending: PendingWrite = { key, record, whole, fields, receipt, idempotency };
  /**
   * The hot tier's compare-and-set: one Lua round trip. A run it does not hold needs the durable index's head
   * (a new run, an expired TTL, a Redis that lost its data): for a save onto version 0 (nearly always a run's
   * first) the index is read first and the head handed over, otherwise the hot tier asks for it.
   */
  const hotStep = async (): Promise<HotStepResult> => {
    const indexed = write.expectedVersion === 0 ? await readRunIndex(deps, key) : undefined;
    let outcome: HotSaveOutcome;
    let newRun = false;
    // A completed run, or an index that did not answer, takes the path below: the hot tier is asked first.
    if (indexed && 'run' in indexed && indexed.run?.completedAt == null) {
      outcome = await deps.hot.save(key, record, {
        ...hotOptions,
        knownHead: indexed.run?.durableVersion ?? 0,
      });
      newRun = indexed.run === null;
    } else {
      outcome = await deps.hot.save(key, record, hotOptions);
    }
    if (outcome.status === 'head_unknown') {
      // No hot copy (new run, expired TTL, or a Redis that lost its data): the durable index knows the head. If
      // it just failed to answer, that failure is this save's (not a second wait for the same outage).
      if (indexed && 'failure' in indexed) throw indexed.failure;
      const run = indexed?.run !== undefined ? indexed.run : await deps.durable.getRun(key);
      newRun = run === null;
      // The hot copy and its seal may both be gone (TTL, a Redis restart): the index still knows.
      if (run?.completedAt != null) throw new RunCompleted(key.runId, null);
      outcome = await deps.hot.save(key, record, { ...hotOptions, knownHead: run?.durableVersion ?? 0 });
    }
    if (outcome.status === 'conflict' && outcome.currentVersion < write.expectedVersion) {
      // The hot copy is behind the version the writer saw: it missed saves made while it was down. If Postgres
      // holds that version, or the fallback spool does (saved while both were away, not drained yet), Postgres
      // arbitrates this save — after committing the spooled versions — and the hot copy is replaced.
      if (await baseIsBeyondHot(deps, key, write.expectedVersion)) return { kind: 'stale' };
    }
    if (outcome.status === 'conflict' && idempotency) {
      // A retry whose first attempt went through Postgres while Redis was away left its receipt there only:
      // the first answer stands (only on the conflict path, so a normal save pays nothing for it). With Postgres
      // down the retry cannot be told from a conflict: its TierUnavailable (a retryable 503) is the honest
      // answer, not a 409 that may refuse the writer's own save.
      const first = await deps.durable.getReceipt(key, idempotency.key);
      if (first?.fingerprint === idempotency.fingerprint) return { kind: 'answered', receipt: first.receipt };
      if (first) throw new IdempotencyMismatch(idempotency.key);
    }
    if (outcome.status === 'replayed' && idempotency)
      return { kind: 'answered', receipt: await vouchedReplay(deps, key, outcome.receipt, idempotency) };
    const early = settleHotOutcome(outcome, { ...write, runId: key.runId });
    return early ? { kind: 'answered', receipt: early } : { kind: 'written', newRun };
  };
  const answer = await executeSave(deps, {
    pending,
    durableSave: durable,
    baseUnverified: write.baseFromCache === true,
    hotStep,
  });
  // This version is now the run's head as far as this instance knows: the next patch needs no read of it.
  if (answer.version === version && answer.hash === record.hash)
    deps.instance.rememberHead(
      key,
      headOfState(
        { version, hash: record.hash, sizeBytes: record.sizeBytes, chain: record.chain ?? WHOLE_STATE },
        stored,
        json,
      ),
    );
  return answer;
}

/**
 * A retry found the first attempt's receipt in the hot tier. The Lua script writes it with the hot write, BEFORE
 * the durable commit that a durable save then waits for — so while that first attempt is still in flight (or
 * after it failed and is being reverted), the receipt promises what is not stored yet. Only the tier that holds
 * the version may vouch for it: Postgres' receipt (written in the commit's transaction), or the spooled write.
 * Otherwise the retry is answered 503 and tried again: by then the first attempt has landed, or been reverted
 * (and the retry simply saves). Without this an acknowledged save was lost (GOLDEN_RECOVERY_FLOW, seed
 * 20261127: `bs1:v10A→0 bs1:v10A→durable@2`, then v10 missing): test/unit/save-replay.test.ts.
 */
async function vouchedReplay(
  deps: ServiceDeps,
  key: RunKey,
  receipt: SaveReceipt,
  idempotency: IdempotencyWrite,
): Promise<SaveReceipt> {
  if (receipt.durability === 'hot') return receipt; // the Lua call that wrote the receipt stored the version
  const first = await deps.durable.getReceipt(key, idempotency.key);
  if (first) {
    if (first.fingerprint !== idempotency.fingerprint) throw new IdempotencyMismatch(idempotency.key);
    return first.receipt;
  }
  const spooled = await deps.fallback?.loadVersion(key, receipt.version);
  if (spooled?.hash === receipt.hash) return { ...receipt, durability: 'spooled' };
  throw new TierUnavailable('durable', 'the first attempt of this save is not durable yet');
}

/** The run's durable index row (`run` null: no such run), or why the durable tier did not answer. */
async function readRunIndex(
  deps: ServiceDeps,
  key: RunKey,
): Promise<
  | { readonly run: RunSummary | null; readonly failure?: never }
  | { readonly failure: unknown; readonly run?: never }
> {
  try {
    return { run: await deps.durable.getRun(key) };
  } catch (failure) {
    // Not thrown here: the hot tier may hold the run and not need the index at all.
    return { failure };
  }
}

/** Whether the writer's base version, missing from the hot copy, is held by Postgres or the fallback spool. */
async function baseIsBeyondHot(deps: ServiceDeps, key: RunKey, base: number): Promise<boolean> {
  const run = await deps.durable.getRun(key);
  const durableHead = run?.durableVersion ?? 0;
  if (durableHead === base) return true;
  if (durableHead > base || !deps.fallback) return false;
  return (await deps.fallback.loadVersion(key, base)) !== null;
}

function settleHotOutcome(
  outcome: HotSaveOutcome,
  write: VersionWrite & { readonly runId: string },
): SaveReceipt | null {
  switch (outcome.status) {
    case 'saved':
      return null;
    case 'replayed':
      return outcome.receipt;
    case 'conflict':
      throw new VersionConflict(outcome.currentVersion, write.expectedVersion);
    case 'idempotency_mismatch':
      throw new IdempotencyMismatch(write.idempotencyKey ?? '');
    case 'head_unknown':
      throw new Error('hot tier answered head_unknown although the head was given');
    case 'sealed':
      throw new RunCompleted(write.runId, null);
    case 'base_changed':
      throw new BaseUnverified();
  }
}

/** The version a save or restore builds on: from the body, If-Match, or a patch's baseVersion, which must agree. */
export function resolveExpectedVersion(
  fromBody: number | undefined,
  ifMatch: number | undefined,
  baseVersion?: number,
): number {
  const named = [fromBody, ifMatch, baseVersion].filter((n): n is number => n !== undefined);
  if (named.some((n) => n !== named[0])) {
    throw new InvalidRequest(
      'If-Match, "expectedVersion" and a patch\'s "baseVersion" name different versions: send one, or the same',
    );
  }
  const expected = named[0];
  if (expected === undefined) {
    throw new PreconditionRequired(
      'name the version this builds on: an If-Match header or "expectedVersion" (0 for a new run)',
    );
  }
  return expected;
}

interface BuiltState {
  readonly state: DeepAgentState;
  readonly base?: DeltaBase;
  readonly fromCache?: boolean;
}

/**
 * The patched state, on the base from this instance's head cache when it holds that version (its hash then goes
 * to the hot CAS, which checks it), else on the base read from the tiers. The client's patch is the delta the
 * new version is stored as, unless ephemeral paths make the stored states differ from the ones it was sent for.
 */
async function patchedState(
  deps: ServiceDeps,
  caller: Caller,
  key: RunKey,
  request: StatePersistenceRequest,
  firstAttempt: boolean,
): Promise<BuiltState> {
  const baseVersion = request.baseVersion!;
  const limit = deps.settings.limits.maxStateBytes;
  const cached = firstAttempt ? deps.instance.cachedHead(key, baseVersion) : undefined;
  const base = cached
    ? { state: cached.state(), hash: cached.hash, chain: cached.chain }
    : await readBase(deps, caller, key, baseVersion);
  // The base is not modified: the new state shares with it what the patch does not touch.
  const state = applyStatePatch(base.state, request.patch!, limit);
  if (!firstAttempt) return { state };
  const plain = deps.settings.ephemeralPaths.length === 0;
  const delta: DeltaBase = {
    version: baseVersion,
    hash: base.hash,
    chain: base.chain,
    ...(plain ? { operations: request.patch! } : { stored: base.state }),
  };
  return { state, base: delta, fromCache: cached !== undefined };
}

async function readBase(deps: ServiceDeps, caller: Caller, key: RunKey, baseVersion: number) {
  const found = await readVersion(deps, key, baseVersion);
  if (!found) {
    const head = await readHead(deps, caller, key);
    throw new VersionConflict(head?.record.version ?? 0, baseVersion);
  }
  const { record } = found;
  return { state: stateOf(record), hash: record.hash, chain: record.chain ?? WHOLE_STATE };
}

/**
 * The base of a whole-state save, to store it as a diff: the cached head when it is that version, else none
 * (the save is stored whole: reading the head only to diff against it would cost a round trip).
 */
async function wholeStateBase(
  deps: ServiceDeps,
  key: RunKey,
  expectedVersion: number,
): Promise<{ base?: DeltaBase }> {
  const cached = deps.instance.cachedHead(key, expectedVersion);
  if (!cached) return {};
  // The state does not depend on this base, only the diff does: a patch stored on it carries its hash, and
  // each tier refuses the patch unless it holds exactly that content.
  return {
    base: { version: expectedVersion, hash: cached.hash, chain: cached.chain, stored: cached.state() },
  };
}

/** A hash of what a mutating call asked for, so a reused Idempotency-Key with another body is refused. */
export function fingerprintOf(operation: string, runId: string, body: unknown): string {
  return sha256Hex(canonicalJson({ operation, runId, body }));
}
