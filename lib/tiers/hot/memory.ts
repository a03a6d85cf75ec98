/**
 * The in-process hot tier: the embedded default and the reference for unit tests. Same semantics as the
 * Upstash adapter (test/contracts/hot.contract.ts), TTLs on an injectable clock, and an optional JSON
 * snapshot so an embedded deployment keeps hot data across restarts.
 */
import { TierUnavailable } from '../../errors.ts';
import { BrokenChain, isPatch, rebuildLast } from '../chain.ts';
import type { RunKey } from '../types.ts';
import {
  type Expiring,
  type HotState,
  type RunEntry,
  readSnapshot,
  writeSnapshot,
} from './memory-snapshot.ts';
import type { HotTier, OutboxEntry } from './port.ts';

export interface MemoryHotTierOptions {
  /**
   * Clock for TTLs, in epoch ms; tests inject one to expire entries without waiting.
   * @default Date.now
   */
  readonly now?: (() => number) | undefined;
  /**
   * JSON file that holds the tier across restarts: loaded on create, written on an interval and on close.
   * @default undefined (nothing persisted)
   */
  readonly persistPath?: string | undefined;
  /**
   * How often a changed tier is written to `persistPath`.
   * @default 5000
   */
  readonly snapshotIntervalMs?: number | undefined;
  /**
   * How long a head replaced by a `keepPrevious` save stays available to `revert`.
   * @default 120
   */
  readonly previousTtlSeconds?: number | undefined;
  /**
   * Told when a background snapshot fails (the next interval tries again; `close` rejects instead).
   * @default process.emitWarning
   */
  readonly onSnapshotError?: ((error: unknown) => void) | undefined;
}

/** Expired entries are dropped when touched, and all of them every this many writes. */
const SWEEP_EVERY = 1_000;

function ttlMs(seconds: number, what = 'ttlSeconds'): number {
  if (!Number.isFinite(seconds) || seconds <= 0) throw new RangeError(`${what} must be > 0, got ${seconds}`);
  return Math.max(1, Math.round(seconds * 1000));
}

// JSON of the pair: no separator a tenant or run id could contain can make two runs collide.
const runId = (key: RunKey) => JSON.stringify([key.tenantId, key.runId]);

export async function createMemoryHotTier(options: MemoryHotTierOptions = {}): Promise<HotTier> {
  const { now = Date.now, persistPath, snapshotIntervalMs = 5_000, previousTtlSeconds = 120 } = options;
  const onSnapshotError =
    options.onSnapshotError ??
    ((e: unknown) => process.emitWarning(`hot tier snapshot to ${persistPath} failed: ${String(e)}`));
  const prevTtl = ttlMs(previousTtlSeconds, 'previousTtlSeconds');
  const state: HotState = persistPath
    ? await readSnapshot(persistPath)
    : { runs: new Map<string, RunEntry>(), outbox: new Map<string, OutboxEntry>() };
  // The outbox never expires: it records heads acknowledged before they were durable, until a drain acks them.
  const { runs, outbox } = state;
  // Not in the snapshot: a process that restarts asks Postgres again (the embedded tier has one instance).
  const credentials = new Map<string, Expiring<string>>();
  let closed = false;
  let dirty = false;
  let writes = 0;

  const live = <T>(entry: Expiring<T> | undefined): Expiring<T> | undefined =>
    entry && entry.expiresAt > now() ? entry : undefined;

  /** The run with its expired parts dropped; forgotten entirely once nothing of it is alive. */
  function touch(id: string): RunEntry | undefined {
    const run = runs.get(id);
    if (!run) return undefined;
    run.head = live(run.head);
    run.prev = live(run.prev);
    for (const [k, r] of run.receipts) if (!live(r)) run.receipts.delete(k);
    if (run.sealedUntil !== undefined && run.sealedUntil <= now()) run.sealedUntil = undefined;
    if (!run.head && !run.prev && run.receipts.size === 0 && run.sealedUntil === undefined) {
      runs.delete(id);
      return undefined;
    }
    return run;
  }

  function changed(): void {
    dirty = true;
    if (++writes % SWEEP_EVERY === 0) for (const id of [...runs.keys()]) touch(id);
  }

  function assertOpen(): void {
    if (closed) throw new TierUnavailable('hot', 'the memory tier was closed');
  }

  // One snapshot at a time, in order: a slow write must not be overtaken by an older one.
  let writing: Promise<void> = Promise.resolve();
  function snapshot(): Promise<void> {
    if (!persistPath || !dirty) return writing;
    dirty = false;
    for (const id of [...runs.keys()]) touch(id);
    // A failed write must not stop later ones: the chain continues past it.
    writing = writing
      .catch(() => {})
      .then(() => writeSnapshot(persistPath, state))
      .catch((e: unknown) => {
        dirty = true;
        throw e;
      });
    return writing;
  }
  const timer = persistPath
    ? setInterval(() => snapshot().catch(onSnapshotError), snapshotIntervalMs).unref()
    : undefined;

  return {
    async save(key, record, opts) {
      assertOpen();
      const ttl = ttlMs(opts.ttlSeconds);
      const idem = opts.idempotency;
      const receiptTtl = idem ? ttlMs(idem.ttlSeconds, 'idempotency.ttlSeconds') : 0;
      const id = runId(key);
      const run: RunEntry = touch(id) ?? { head: undefined, prev: undefined, receipts: new Map() };
      if (idem) {
        const stored = run.receipts.get(idem.key);
        if (stored) {
          return stored.value.fingerprint === idem.fingerprint
            ? { status: 'replayed', receipt: stored.value.receipt }
            : { status: 'idempotency_mismatch' };
        }
      }
      if (run.sealedUntil !== undefined) return { status: 'sealed' };
      const head = run.head?.value.at(-1);
      const current = head?.version ?? opts.knownHead;
      if (current === undefined) return { status: 'head_unknown' };
      if (current !== record.version - 1) return { status: 'conflict', currentVersion: current };
      // A base taken from the caller's cache must be the head's content, not just its version number.
      if (opts.baseHash !== undefined && head?.hash !== opts.baseHash) return { status: 'base_changed' };
      // A patch is a link onto the head it was made from: without that head here it cannot be stored.
      if (isPatch(record) && (head === undefined || record.baseHash !== head.hash))
        return { status: 'base_changed' };
      if (opts.pendingDurable && !Number.isFinite(record.savedAt)) {
        throw new RangeError(`record.savedAt must be finite, got ${record.savedAt}`);
      }
      const t = now();
      // prev is always the head this save replaced, or nothing: revert restores it blindly.
      run.prev =
        opts.keepPrevious && run.head ? { value: run.head.value, expiresAt: t + prevTtl } : undefined;
      const chain = isPatch(record) && run.head ? [...run.head.value, { ...record }] : [{ ...record }];
      run.head = { value: chain, expiresAt: t + ttl };
      if (idem) {
        run.receipts.set(idem.key, {
          value: { fingerprint: idem.fingerprint, receipt: { ...idem.receipt } },
          expiresAt: t + receiptTtl,
        });
      }
      runs.set(id, run);
      if (opts.pendingDurable)
        outbox.set(id, { key: { tenantId: key.tenantId, runId: key.runId }, savedAt: record.savedAt });
      changed();
      return { status: 'saved' };
    },
    async load(key) {
      assertOpen();
      const head = touch(runId(key))?.head;
      if (!head) return null;
      try {
        return rebuildLast(head.value);
      } catch (error) {
        if (error instanceof BrokenChain) throw new TierUnavailable('hot', error.message, { cause: error });
        throw error;
      }
    },
    async promote(key, record, ttlSeconds) {
      assertOpen();
      if (isPatch(record)) throw new RangeError('promote takes a whole state, not a patch');
      const ttl = ttlMs(ttlSeconds);
      const id = runId(key);
      const run: RunEntry = touch(id) ?? { head: undefined, prev: undefined, receipts: new Map() };
      const head = run.head?.value.at(-1);
      if (head && head.version >= record.version) return false;
      run.head = { value: [{ ...record }], expiresAt: now() + ttl };
      runs.set(id, run);
      changed();
      return true;
    },
    async revert(key, version, hash, idempotencyKey) {
      assertOpen();
      const id = runId(key);
      const run = touch(id);
      const head = run?.head;
      const last = head?.value.at(-1);
      if (!run || !head || last?.version !== version || last.hash !== hash) return;
      // The restored head keeps the TTL of the head it replaces, not the short TTL of prev.
      run.head = run.prev ? { value: run.prev.value, expiresAt: head.expiresAt } : undefined;
      run.prev = undefined;
      if (idempotencyKey !== undefined) run.receipts.delete(idempotencyKey);
      changed();
      touch(id);
    },
    async seal(key, ttlSeconds) {
      assertOpen();
      const id = runId(key);
      const run: RunEntry = touch(id) ?? { head: undefined, prev: undefined, receipts: new Map() };
      run.sealedUntil = now() + ttlMs(ttlSeconds);
      runs.set(id, run);
      changed();
    },
    async rememberCredential(keyHash, value, ttlSeconds) {
      assertOpen();
      credentials.set(keyHash, { value, expiresAt: now() + ttlMs(ttlSeconds) });
    },
    async recallCredential(keyHash) {
      assertOpen();
      const entry = live(credentials.get(keyHash));
      if (!entry) credentials.delete(keyHash);
      return entry?.value ?? null;
    },
    async delete(key) {
      assertOpen();
      const id = runId(key);
      const hadRun = runs.delete(id);
      if (outbox.delete(id) || hadRun) changed();
    },
    async outboxBatch({ savedBefore, limit }) {
      assertOpen();
      if (!Number.isInteger(limit) || limit < 1)
        throw new RangeError(`limit must be an integer > 0, got ${limit}`);
      if (Number.isNaN(savedBefore)) throw new RangeError('savedBefore must be a number, got NaN');
      return [...outbox]
        .filter(([, e]) => e.savedAt <= savedBefore)
        .sort(([a, x], [b, y]) => x.savedAt - y.savedAt || (a < b ? -1 : a > b ? 1 : 0))
        .slice(0, limit)
        .map(([, e]) => ({ key: { ...e.key }, savedAt: e.savedAt }));
    },
    async outboxAck(entries) {
      assertOpen();
      for (const e of entries) {
        if (!Number.isFinite(e.savedAt)) throw new RangeError(`savedAt must be finite, got ${e.savedAt}`);
      }
      let removed = 0;
      for (const e of entries) {
        const id = runId(e.key);
        if (outbox.get(id)?.savedAt === e.savedAt && outbox.delete(id)) removed++;
      }
      if (removed > 0) changed();
      return removed;
    },
    async outboxSize() {
      assertOpen();
      return outbox.size;
    },
    async ping() {
      assertOpen();
    },
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      await snapshot();
    },
  };
}
