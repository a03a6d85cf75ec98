/**
 * What every ArchiveQueue adapter must do. The queue is global to its database (claimBatch takes any tenant's
 * runs), so each spec first works off whatever earlier specs left (`quiesce`) and then counts only its own
 * runs; specs of one file run one after another. Tenant ids are random per spec.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ArchiveQueue, ClaimedBatch } from '../../lib/tiers/durable/archive-queue-port.ts';
import type { DurableTier } from '../../lib/tiers/durable/port.ts';
import type { RunKey, StoredVersion } from '../../lib/tiers/types.ts';
import { canonicalOf, chainOf, steps } from '../support/chains.ts';
import { fields, id, version } from './durable.contract.ts';

export type QueueUnderTest = DurableTier & { readonly archiveQueue: ArchiveQueue };

export interface ArchiveQueueFixture {
  readonly name: string;
  create(): Promise<QueueUnderTest>;
  destroy?(tier: QueueUnderTest): Promise<void>;
}

/** Far enough ahead that every lease a spec took has expired and every run completed before it. */
const FAR = Date.UTC(9000, 0, 1);
/** Later still, for `quiesce`: beyond every lease taken at FAR. */
const DRAIN = Date.UTC(9999, 0, 1);
const DAY = 86_400_000;
const OLD = Date.UTC(2025, 0, 1);
const CUT = Date.UTC(2025, 6, 1);
const NEW = Date.UTC(2026, 0, 1);
const keyOf = (k: RunKey) => `${k.tenantId}/${k.runId}`;
const keysOf = (batch: ClaimedBatch | null) => (batch?.runs ?? []).map(keyOf);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function archiveQueueContract(fx: ArchiveQueueFixture): void {
  describe(`${fx.name} · ArchiveQueue`, () => {
    let tier: QueueUnderTest;
    let queue: ArchiveQueue;
    beforeAll(async () => {
      tier = await fx.create();
      queue = tier.archiveQueue;
    });
    afterAll(async () => {
      if (fx.destroy) await fx.destroy(tier);
      else await tier.close();
    });
    beforeEach(() => quiesce(queue));

    /** A run with these checkpoints (or none), completed at `completedAt`. */
    const completedRun = async (
      tenantId: string,
      completedAt: number,
      versions: StoredVersion[] = [],
      over: { model?: string | null; costUsd?: number } = {},
    ): Promise<RunKey> => {
      const key = { tenantId, runId: id('run') };
      if (versions.length === 0) await tier.ensureRun(key, fields());
      for (const v of versions) await tier.commit(key, v, { run: fields() });
      await tier.complete(key, {
        status: 'completed',
        completedAt,
        model: over.model ?? 'gpt-x',
        inputTokens: 100,
        outputTokens: 20,
        costUsd: over.costUsd ?? 0.25,
      });
      return key;
    };
    const claim = (now: number, over: { limit?: number; leaseMs?: number; id?: string } = {}) =>
      queue.claimBatch({
        limit: over.limit ?? 100,
        leaseMs: over.leaseMs ?? 60_000,
        now,
        newBatchId: over.id ?? id('batch'),
      });
    const versionsOf = async (key: RunKey) =>
      (await tier.listCheckpoints(key, { limit: 100 })).map((c) => c.version).sort((a, b) => a - b);

    it('claims completed runs oldest first, up to limit, never running ones', async () => {
      const tenantId = id('t');
      const base = Date.now();
      const offsets = [50, 10, 40, 20, 30];
      const made: RunKey[] = [];
      for (const offset of offsets) made.push(await completedRun(tenantId, base + offset, [version(1)]));
      await tier.commit({ tenantId, runId: id('run') }, version(1), { run: fields() });
      await tier.ensureRun({ tenantId, runId: id('run') }, fields({ status: 'paused' }));
      const byAge = offsets.map((o, i) => [o, made[i] as RunKey] as const).sort((a, b) => a[0] - b[0]);

      const first = await claim(base, { limit: 3, id: 'batch-one' });
      expect(first).toMatchObject({ batchId: 'batch-one', attempt: 1 });
      expect(keysOf(first)).toEqual(byAge.slice(0, 3).map(([, k]) => keyOf(k)));
      expect(first?.runs[0]).toEqual({
        ...(await tier.getRun(byAge[0]?.[1] as RunKey)),
        tenantId,
        model: 'gpt-x',
        inputTokens: 100,
        outputTokens: 20,
        costUsd: 0.25,
        archiveHeadVersion: 1,
      });
      const second = await claim(base, { limit: 3 });
      expect(keysOf(second)).toEqual(byAge.slice(3).map(([, k]) => keyOf(k)));
      expect(await claim(base)).toBeNull();
      expect(await queue.stats()).toMatchObject({ pending: 5, batchesInFlight: 2 });
    });

    it("freezes a batch's composition: late saves (even of older versions) and later completions stay out", async () => {
      const tenantId = id('t');
      const now = Date.now();
      const key = await completedRun(tenantId, now - 10, [version(1), version(3)]);
      const batch = await claim(now, { leaseMs: 1000 });
      expect(batch?.runs.map((r) => [r.runId, r.archiveHeadVersion])).toEqual([[key.runId, 3]]);
      const frozen = await queue.batchCheckpoints(batch?.batchId ?? '');
      expect(frozen).toEqual([
        { tenantId, runId: key.runId, ...version(1) },
        { tenantId, runId: key.runId, ...version(3) },
      ]);

      // A completed run refuses new versions, except the commits that may still land in one (retention's closing
      // commit, a repair): version 2 arrives late and the run goes on to 4; the batch stays as frozen.
      expect(await tier.commit(key, version(2), { run: fields() })).toEqual({ status: 'sealed' });
      const late = { run: fields(), intoCompletedRun: true };
      expect(await tier.commit(key, version(2), late)).toEqual({ status: 'committed' });
      expect(await tier.commit(key, version(4), late)).toEqual({ status: 'committed' });
      expect(await queue.batchCheckpoints(batch?.batchId ?? '')).toEqual(frozen);

      const later = await completedRun(tenantId, now - 20, [version(1)]);
      const next = await claim(now + 500);
      expect(next?.batchId).not.toBe(batch?.batchId);
      expect(keysOf(next)).toEqual([keyOf(later)]);

      const retry = await claim(now + 1001);
      expect(retry).toMatchObject({ batchId: batch?.batchId, attempt: 2 });
      expect(retry?.runs.map((r) => [r.runId, r.archiveHeadVersion, r.durableVersion])).toEqual([
        [key.runId, 3, 4],
      ]);
      expect(await queue.batchCheckpoints(batch?.batchId ?? '')).toEqual(frozen);
      expect(await queue.batchCheckpoints('no-such-batch')).toEqual([]);
    });

    it('re-claims an expired lease as the same batch with attempt + 1, never an unexpired one', async () => {
      const tenantId = id('t');
      const now = Date.now();
      for (let i = 0; i < 3; i++) await completedRun(tenantId, now - 100 + i, [version(1), version(2)]);
      const first = await claim(now, { leaseMs: 1000 });
      expect(first?.runs).toHaveLength(3);
      expect(first?.runCount).toBe(3);
      const checkpoints = await queue.batchCheckpoints(first?.batchId ?? '');
      expect(checkpoints).toHaveLength(6);

      expect(await claim(now + 999, { leaseMs: 1000 })).toBeNull();
      expect(await claim(now + 1000, { leaseMs: 1000 })).toBeNull(); // the lease runs up to its end
      const second = await claim(now + 1001, { leaseMs: 1000 });
      expect(second).toEqual({ ...first, attempt: 2 });
      expect(await claim(now + 2001, { leaseMs: 1000 })).toBeNull(); // the new lease counts from the re-claim
      expect(await claim(now + 2002, { leaseMs: 1000 })).toEqual({ ...first, attempt: 3 });
      expect(await queue.batchCheckpoints(first?.batchId ?? '')).toEqual(checkpoints);

      // A part of the batch: only the named runs' checkpoints, in the same order; a key outside it adds nothing.
      const [a, , c] = first?.runs ?? [];
      const part = [a!, c!, { tenantId, runId: 'not-in-the-batch' }];
      const ofPart = checkpoints.filter((cp) => cp.runId === a?.runId || cp.runId === c?.runId);
      expect(ofPart).toHaveLength(4);
      expect(await queue.batchCheckpoints(first?.batchId ?? '', part)).toEqual(ofPart);
      expect(await queue.batchCheckpoints(first?.batchId ?? '', [])).toEqual([]);
      // The first attempt's write may still land after its lease: its mark counts.
      expect(await queue.markArchived(first?.batchId ?? '', now + 2500)).toBe(3);
    });

    it('marks a batch and its runs archived once; an archived batch is never re-claimed', async () => {
      const tenantId = id('t');
      const now = Date.now();
      const keys = [await completedRun(tenantId, now - 2), await completedRun(tenantId, now - 1)];
      const before = await queue.stats();
      const batch = await claim(now, { leaseMs: 1000 });
      const at = now + 100;
      expect(await queue.markArchived(batch?.batchId ?? '', at)).toBe(2);
      expect(await queue.markArchived(batch?.batchId ?? '', at + 1)).toBe(0);
      for (const key of keys) expect((await tier.getRun(key))?.archivedAt).toBe(at);
      expect(await claim(FAR)).toBeNull();
      expect(await queue.markArchived('no-such-batch', at)).toBe(0);
      expect(await queue.stats()).toEqual({
        pending: before.pending - 2,
        batchesInFlight: before.batchesInFlight,
        archived: before.archived + 2,
      });
    });

    it('20 concurrent claimers get disjoint batches covering every completed run exactly once', async () => {
      const tenantId = id('t');
      const now = Date.now();
      const made = await inParallel(200, 25, (i) => completedRun(tenantId, now - 1000 + i));
      const batches: ClaimedBatch[] = [];
      for (let round = 0; round < 50; round++) {
        const got = await Promise.all(Array.from({ length: 20 }, () => claim(now, { limit: 7 })));
        const found = got.filter((b): b is ClaimedBatch => b !== null);
        if (found.length === 0) break;
        batches.push(...found);
      }
      const seen = batches.flatMap(keysOf);
      expect(new Set(batches.map((b) => b.batchId)).size).toBe(batches.length);
      expect(seen).toHaveLength(200);
      expect(new Set(seen)).toEqual(new Set(made.map(keyOf)));
      for (const b of batches) {
        expect(b.attempt).toBe(1);
        expect(b.runs.length).toBeGreaterThan(0);
        expect(b.runs.length).toBeLessThanOrEqual(7);
        const times = b.runs.map((r) => r.completedAt ?? 0);
        expect(times).toEqual([...times].sort((x, y) => x - y));
      }

      // Expired leases: each claimer re-claims ONE batch, and no batch goes to two of them.
      const reclaims = await Promise.all(
        Array.from({ length: 20 }, () => claim(now + 120_000, { limit: 7 })),
      );
      const again = reclaims.filter((b): b is ClaimedBatch => b !== null);
      expect(again.every((b) => b.attempt === 2)).toBe(true);
      expect(new Set(again.map((b) => b.batchId)).size).toBe(again.length);
      expect(again.length).toBe(Math.min(20, batches.length));
      const byId = new Map(batches.map((b) => [b.batchId, b]));
      for (const b of again) expect(b).toEqual({ ...byId.get(b.batchId), attempt: 2 });
    });

    it('commits racing the claims never change a batch once it is handed out', async () => {
      const tenantId = id('t');
      const now = Date.now();
      const made = await inParallel(40, 20, (i) =>
        completedRun(tenantId, now - 100 + i, [version(2), version(4), version(6)]),
      );
      // Writers deliver older versions late, and a newer one, while the claimers run.
      const writers = inParallel(made.length, 20, async (i) => {
        const key = made[i] as RunKey;
        for (const v of [1, 3, 5, 7]) await tier.commit(key, version(v), { run: fields() });
      });
      const firstRead = new Map<string, Awaited<ReturnType<ArchiveQueue['batchCheckpoints']>>>();
      const batches: ClaimedBatch[] = [];
      const claimers = (async () => {
        for (let round = 0; round < 100; round++) {
          const got = await Promise.all(Array.from({ length: 10 }, () => claim(now, { limit: 4 })));
          const found = got.filter((b): b is ClaimedBatch => b !== null);
          if (found.length === 0) break;
          for (const b of found) firstRead.set(b.batchId, await queue.batchCheckpoints(b.batchId));
          batches.push(...found);
        }
      })();
      await Promise.all([writers, claimers]);

      expect(batches.flatMap(keysOf).sort()).toEqual(made.map(keyOf).sort());
      for (const b of batches) {
        const checkpoints = await queue.batchCheckpoints(b.batchId);
        expect(checkpoints).toEqual(firstRead.get(b.batchId));
        for (const run of b.runs) {
          const mine = checkpoints.filter((c) => c.runId === run.runId).map((c) => c.version);
          // Every version the run had at the claim, the head included, and none beyond it.
          expect(mine.at(-1)).toBe(run.archiveHeadVersion);
          expect(mine.every((v) => v <= run.archiveHeadVersion)).toBe(true);
          expect(mine).toEqual(expect.arrayContaining([2, 4, 6].filter((v) => v <= run.archiveHeadVersion)));
        }
      }
    });

    it('lists archived runs completed before the cut for the hot purge, until marked purged', async () => {
      const tenantId = id('t');
      const now = Date.now();
      const a1 = await completedRun(tenantId, now - 3 * DAY);
      const a2 = await completedRun(tenantId, now - 2 * DAY);
      const a3 = await completedRun(tenantId, now + DAY);
      await archiveAll(now);
      const unarchived = await completedRun(tenantId, now - 5 * DAY);
      const cut = { completedBefore: now, limit: 10 };

      expect(await queue.runsToPurgeFromHot(cut)).toEqual([a1, a2]);
      expect(await queue.runsToPurgeFromHot({ ...cut, limit: 1 })).toEqual([a1]);
      await queue.markHotPurged([a1, unarchived], now);
      await queue.markHotPurged([], now);
      expect(await queue.runsToPurgeFromHot(cut)).toEqual([a2]);
      await archiveAll(now);
      // The unarchived run was not marked: once archived, it is due.
      expect(await queue.runsToPurgeFromHot(cut)).toEqual([unarchived, a2]);
      expect(await queue.runsToPurgeFromHot({ completedBefore: FAR, limit: 10 })).toEqual([
        unarchived,
        a2,
        a3,
      ]);
    });

    it('deletes old checkpoints of archived runs that the archive holds, and nothing else', async () => {
      const [t1, t2] = [id('t'), id('t')];
      const now = Date.now();
      const old = (v: number) => version(v, { v }, { savedAt: OLD + v });
      const fresh = (v: number) => version(v, { v }, { savedAt: NEW + v });
      const archived = await completedRun(t1, now - 10, [old(1), old(2), fresh(3)]);
      const other = await completedRun(t2, now - 9, [fresh(1)]);
      await archiveAll(now);
      // After the batch (a commit that may still land in a completed run): not in the archive.
      await tier.commit(archived, old(4), { run: fields(), intoCompletedRun: true });
      const batched = await completedRun(t1, now - 8, [old(1), old(2)]);
      expect(await claim(now)).not.toBeNull();
      const live = { tenantId: t2, runId: id('run') };
      for (const v of [old(1), old(2), fresh(3)]) await tier.commit(live, v, { run: fields() });

      expect(await queue.deleteArchivedCheckpoints({ savedBefore: CUT, limit: 1 })).toBe(1);
      expect(await queue.deleteArchivedCheckpoints({ savedBefore: CUT, limit: 100 })).toBe(1);
      expect(await queue.deleteArchivedCheckpoints({ savedBefore: CUT, limit: 100 })).toBe(0);
      expect(await versionsOf(archived)).toEqual([3, 4]);
      expect(await versionsOf(other)).toEqual([1]);
      expect(await versionsOf(batched)).toEqual([1, 2]);
      expect(await versionsOf(live)).toEqual([1, 2, 3]);
    });

    it("deletes old checkpoints of live runs except each run's newest, and nothing else", async () => {
      const [t1, t2] = [id('t'), id('t')];
      const now = Date.now();
      const old = (v: number) => version(v, { v }, { savedAt: OLD + v });
      const live = async (tenantId: string, versions: StoredVersion[]) => {
        const key = { tenantId, runId: id('run') };
        for (const v of versions) await tier.commit(key, v, { run: fields() });
        return key;
      };
      const long = await live(t1, [old(1), old(2), old(3), old(4), version(5, { v: 5 }, { savedAt: NEW })]);
      const allOld = await live(t2, [old(1), old(2)]);
      const single = await live(t1, [old(1)]);
      const archived = await completedRun(t1, now - 3, [old(1), old(2)]);
      await archiveAll(now);
      const batched = await completedRun(t1, now - 2, [old(1), old(2)]);
      expect(await claim(now)).not.toBeNull();
      const completed = await completedRun(t2, now - 1, [old(1), old(2)]);

      expect(await queue.deleteOldCheckpointsOfLiveRuns({ savedBefore: CUT, limit: 3 })).toBe(3);
      expect(await queue.deleteOldCheckpointsOfLiveRuns({ savedBefore: CUT, limit: 100 })).toBe(2);
      expect(await queue.deleteOldCheckpointsOfLiveRuns({ savedBefore: CUT, limit: 100 })).toBe(0);
      expect(await versionsOf(long)).toEqual([5]);
      expect(await versionsOf(allOld)).toEqual([2]);
      expect(await versionsOf(single)).toEqual([1]);
      for (const key of [archived, batched, completed]) expect(await versionsOf(key)).toEqual([1, 2]);
      expect((await tier.loadLatest(allOld))?.version).toBe(2);
    });

    it('keeps every checkpoint a kept version of a live run is rebuilt from (delta chains)', async () => {
      const key = { tenantId: id('t'), runId: id('run') };
      // 1 whole, 2-3 patches, 4 whole, 5-6 patches, 7 whole, 8 a patch: all old but 8.
      const records = chainOf(steps(8, [4, 7]), OLD).map((r) =>
        r.version === 8 ? { ...r, savedAt: NEW } : r,
      );
      for (const rec of records) await tier.commit(key, rec, { run: fields() });
      while ((await queue.deleteOldCheckpointsOfLiveRuns({ savedBefore: CUT, limit: 100 })) > 0);
      // 1-6 are below the whole state at 7 with nothing kept between; 7 is what 8 is rebuilt from.
      expect(await versionsOf(key)).toEqual([7, 8]);
      expect(await tier.loadLatest(key)).toMatchObject({ version: 8, payload: canonicalOf(steps(8))[7] });

      // A kept patch stops the run's older checkpoints from going, up to the whole state it is rebuilt from.
      const other = { tenantId: id('t'), runId: id('run') };
      const chain = chainOf(steps(5, [3]), OLD).map((r) => (r.version === 2 ? { ...r, savedAt: NEW } : r));
      for (const rec of chain) await tier.commit(other, rec, { run: fields() });
      while ((await queue.deleteOldCheckpointsOfLiveRuns({ savedBefore: CUT, limit: 100 })) > 0);
      expect(await versionsOf(other)).toEqual([1, 2, 3, 4, 5]);
      expect((await tier.loadVersion(other, 2))?.hash).toBe(chain[1]!.hash);
    });

    it('abandons stale runs as failed so the archiver takes them; fresh and completed runs stay', async () => {
      const tenantId = id('t');
      const now = Date.now();
      const running = { tenantId, runId: id('run') };
      await tier.commit(running, version(1), { run: fields() });
      const paused = { tenantId, runId: id('run') };
      await tier.ensureRun(paused, fields({ status: 'paused' }));
      const done = await completedRun(tenantId, now - DAY);
      await sleep(30);
      const updatedBefore = Date.now();
      await sleep(30);
      const fresh = { tenantId, runId: id('run') };
      await tier.ensureRun(fresh, fields());

      const at = Date.now();
      expect(await queue.abandonStaleRuns({ updatedBefore, at, limit: 1 })).toEqual([running]);
      expect(await queue.abandonStaleRuns({ updatedBefore, at, limit: 100 })).toEqual([paused]);
      expect(await queue.abandonStaleRuns({ updatedBefore, at, limit: 100 })).toEqual([]);
      expect(await tier.getRun(running)).toMatchObject({ status: 'failed', completedAt: at });
      expect(await tier.getRun(fresh)).toMatchObject({ status: 'running', completedAt: null });
      expect((await tier.getRun(done))?.completedAt).toBe(now - DAY);

      const batch = await claim(FAR);
      expect(new Set(keysOf(batch))).toEqual(new Set([running, paused, done].map(keyOf)));
      const abandoned = batch?.runs.find((r) => r.runId === paused.runId);
      expect(abandoned).toMatchObject({ status: 'failed', model: null, inputTokens: 0, costUsd: 0 });
      expect(abandoned?.archiveHeadVersion).toBe(0);
    });

    it('stats counts pending runs, batches in flight and archived runs', async () => {
      const tenantId = id('t');
      const now = Date.now();
      const s0 = await queue.stats();
      expect(s0).toMatchObject({ pending: 0, batchesInFlight: 0 });
      await completedRun(tenantId, now - 2);
      await completedRun(tenantId, now - 1);
      await tier.ensureRun({ tenantId, runId: id('run') }, fields());
      expect(await queue.stats()).toEqual({ ...s0, pending: 2 });
      const batch = await claim(now, { limit: 1 });
      expect(await queue.stats()).toEqual({ ...s0, pending: 2, batchesInFlight: 1 });
      await queue.markArchived(batch?.batchId ?? '', now);
      expect(await queue.stats()).toEqual({ ...s0, pending: 1, archived: s0.archived + 1 });
    });

    it('oldestPendingCompletion: the oldest completed run not archived, batched or not; null when none', async () => {
      const tenantId = id('t');
      const now = Date.now();
      expect(await queue.oldestPendingCompletion()).toBeNull();
      await tier.ensureRun({ tenantId, runId: id('run') }, fields()); // live runs never count
      expect(await queue.oldestPendingCompletion()).toBeNull();
      await completedRun(tenantId, now - 5_000);
      await completedRun(tenantId, now - 9_000);
      await completedRun(tenantId, now - 1_000);
      expect(await queue.oldestPendingCompletion()).toBe(now - 9_000);
      // In a batch, not archived yet: still pending.
      const first = await claim(now, { limit: 1 });
      expect(first?.runs.map((r) => r.completedAt)).toEqual([now - 9_000]);
      expect(await queue.oldestPendingCompletion()).toBe(now - 9_000);
      await queue.markArchived(first?.batchId ?? '', now);
      expect(await queue.oldestPendingCompletion()).toBe(now - 5_000);
      const rest = await claim(now);
      await queue.markArchived(rest?.batchId ?? '', now);
      expect(await queue.oldestPendingCompletion()).toBeNull();
    });

    it('a re-claimed batch whose runs were all deleted comes back empty, and can be closed', async () => {
      const key = await completedRun(id('t'), Date.now());
      const batch = await claim(Date.now(), { leaseMs: 1 });
      expect(await tier.deleteRun(key)).toBe(true);
      await sleep(5);
      const retry = await claim(Date.now() + 10);
      // runCount is what the batch was created with: the archiver cuts every attempt into the same parts by it.
      expect(retry).toEqual({ batchId: batch?.batchId, attempt: 2, runCount: 1, runs: [] });
      expect(await queue.markArchived(retry?.batchId ?? '', Date.now())).toBe(0);
      expect((await queue.stats()).batchesInFlight).toBe(0);
    });

    /** Claims and archives everything pending at `now`. */
    async function archiveAll(now: number): Promise<void> {
      for (let batch = await claim(FAR); batch; batch = await claim(FAR)) {
        await queue.markArchived(batch.batchId, now);
      }
    }
  });
}

/** Works off what earlier specs left: stale runs, pending batches, retention, hot purges. */
async function quiesce(queue: ArchiveQueue): Promise<void> {
  const [big, now] = [10_000, DRAIN];
  while (
    (await queue.abandonStaleRuns({ updatedBefore: Date.now(), at: Date.now(), limit: big })).length > 0
  );
  for (
    let batch = await queue.claimBatch({ limit: big, leaseMs: 1, now, newBatchId: id('drain') });
    batch;
    batch = await queue.claimBatch({ limit: big, leaseMs: 1, now, newBatchId: id('drain') })
  ) {
    await queue.markArchived(batch.batchId, Date.now());
  }
  while ((await queue.deleteArchivedCheckpoints({ savedBefore: now, limit: big })) > 0);
  while ((await queue.deleteOldCheckpointsOfLiveRuns({ savedBefore: now, limit: big })) > 0);
  for (
    let keys = await queue.runsToPurgeFromHot({ completedBefore: now, limit: big });
    keys.length > 0;
    keys = await queue.runsToPurgeFromHot({ completedBefore: now, limit: big })
  ) {
    await queue.markHotPurged(keys, Date.now());
  }
}

async function inParallel<T>(count: number, width: number, make: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let start = 0; start < count; start += width) {
    const size = Math.min(width, count - start);
    out.push(...(await Promise.all(Array.from({ length: size }, (_, j) => make(start + j)))));
  }
  return out;
}
