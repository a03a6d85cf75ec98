/**
 * What every archive adapter must do: a backend supplies `create` (and `destroy`), the suite runs every spec.
 * Tenants are random per test, so the specs never see each other's rows and can share one database.
 */
import { createHash, randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidRequest } from '../../lib/errors.ts';
import { decodePayload } from '../../lib/model/codec.ts';
import type {
  ArchiveBatch,
  ArchivedCheckpoint,
  ArchivedRun,
  ArchiveTier,
  CostGroupBy,
} from '../../lib/tiers/archive/port.ts';
import type { RunKey } from '../../lib/tiers/types.ts';
import { canonicalOf, chainOf, steps } from '../support/chains.ts';

export interface ArchiveFixture {
  readonly name: string;
  create(): Promise<ArchiveTier>;
  destroy?(tier: ArchiveTier): Promise<void>;
}

export const id = (prefix: string) => `${prefix}_${randomUUID().slice(0, 12)}`;
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const DAY = 86_400_000;
/** 2026-10-01T00:00:00Z: runs of the suite complete on days counted from here. */
export const T0 = Date.UTC(2026, 9, 1);
/** Relative to now, not to T0: rows past their retention could be dropped by a background merge mid-test. */
const RETAIN_UNTIL = Date.now() + 400 * DAY;

export function run(key: RunKey, over: Partial<ArchivedRun> = {}): ArchivedRun {
  return {
    ...key,
    agentName: 'planner',
    parentRunId: null,
    threadId: 'thread-1',
    userId: 'user-1',
    status: 'completed',
    model: 'gpt-x',
    inputTokens: 100,
    outputTokens: 50,
    costUsd: 0.1,
    createdAt: T0 - 60_000,
    completedAt: T0 + 3_600_000,
    archivedAt: T0 + 7_200_000,
    headVersion: 1,
    headHash: 'h',
    retainUntil: RETAIN_UNTIL,
    ...over,
  };
}

/** A checkpoint whose hash is the sha256 of its canonical JSON, as the service computes it. */
export function checkpoint(
  key: RunKey,
  version: number,
  state: unknown = { step: version },
  over: Partial<ArchivedCheckpoint> = {},
): ArchivedCheckpoint {
  const payload = JSON.stringify(state);
  return {
    ...key,
    version,
    hash: sha256(payload),
    checkpoint: 'AUTO',
    encoding: 'json',
    payload,
    sizeBytes: Buffer.byteLength(payload),
    savedAt: T0 + version * 1000,
    ...over,
  };
}

/** `runs` runs of one tenant with `perRun` checkpoints each; the head of each run is its last checkpoint. */
export function batchOf(
  tenantId: string,
  runs: number,
  perRun: number,
  over: (i: number) => Partial<ArchivedRun> = () => ({}),
): ArchiveBatch {
  const runRows: ArchivedRun[] = [];
  const checkpoints: ArchivedCheckpoint[] = [];
  for (let i = 0; i < runs; i++) {
    const key = { tenantId, runId: `run_${String(i).padStart(5, '0')}` };
    for (let v = 1; v <= perRun; v++) checkpoints.push(checkpoint(key, v, { run: i, step: v }));
    const head = checkpoints.at(-1);
    runRows.push(run(key, { headVersion: perRun, headHash: head?.hash ?? 'none', ...over(i) }));
  }
  return { batchId: id('batch'), runs: runRows, checkpoints };
}

export function archiveContract(fx: ArchiveFixture): void {
  describe(`${fx.name} · ArchiveTier`, () => {
    let tier: ArchiveTier;
    beforeAll(async () => {
      tier = await fx.create();
    });
    afterAll(async () => {
      if (fx.destroy) await fx.destroy(tier);
      else await tier.close();
    });
    const allCosts = async (tenantId: string) => {
      const out: Record<string, unknown> = {};
      for (const groupBy of ['agent', 'model', 'day'] as CostGroupBy[])
        out[groupBy] = await tier.costs(tenantId, { from: T0 - 30 * DAY, to: T0 + 30 * DAY, groupBy });
      return out;
    };
    /** Base tables (no FINAL) and the views: what a duplicate or a double count would change. */
    const everything = async (tenantId: string) => ({
      totals: await tier.totals(tenantId),
      costs: await allCosts(tenantId),
    });

    it('answers ping', async () => {
      await expect(tier.ping()).resolves.toBeUndefined();
    });

    it('keeps delta chains as Postgres had them and rebuilds any version; refuses a chain that does not rebuild', async () => {
      const tenantId = id('t');
      const key = { tenantId, runId: id('run') };
      const run7 = steps(7, [4]);
      const cps = chainOf(run7, T0).map((r) => ({ ...key, ...r }));
      const last = cps.at(-1)!;
      await tier.writeBatch({
        batchId: id('batch'),
        runs: [run(key, { headVersion: 7, headHash: last.hash })],
        checkpoints: cps,
      });
      const canonical = canonicalOf(run7);
      expect(await tier.loadLatest(key)).toMatchObject({
        version: 7,
        hash: last.hash,
        payload: canonical[6],
      });
      for (const v of [1, 3, 4, 6])
        expect(await tier.loadVersion(key, v)).toMatchObject({
          version: v,
          hash: cps[v - 1]!.hash,
          payload: canonical[v - 1],
        });
      expect(await tier.loadVersion(key, 8)).toBeNull();

      // A link left out (version 6) or a patch under another state's hash: the archive is the last copy, so no.
      const other = { tenantId, runId: id('run') };
      const broken = chainOf(run7, T0).map((r) => ({ ...other, ...r }));
      const without6 = broken.filter((c) => c.version !== 6);
      const bad = { batchId: id('batch'), runs: [run(other, { headVersion: 7, headHash: last.hash })] };
      await expect(tier.writeBatch({ ...bad, checkpoints: without6 })).rejects.toThrow(InvalidRequest);
      const lying = broken.map((c) => (c.version === 3 ? { ...c, hash: cps[1]!.hash } : c));
      await expect(tier.writeBatch({ ...bad, checkpoints: lying })).rejects.toThrow(InvalidRequest);
      expect(await tier.loadLatest(other)).toBeNull();
    });

    it('writes a batch and reads every part of it back', async () => {
      const tenantId = id('t');
      const key = { tenantId, runId: id('run') };
      const cps = [1, 2, 3].map((v) =>
        checkpoint(key, v, { v }, { checkpoint: v === 2 ? 'CRITICAL' : 'AUTO' }),
      );
      const archived = run(key, {
        headVersion: 3,
        headHash: cps[2]?.hash ?? '',
        parentRunId: 'p1',
        model: null,
      });
      const result = await tier.writeBatch({ batchId: id('b'), runs: [archived], checkpoints: cps });
      expect(result).toEqual({ runs: 1, checkpoints: 3, alreadyArchived: 0 });

      expect(await tier.getRun(key)).toEqual(archived);
      const { tenantId: _t, runId: _r, ...latest } = cps[2] ?? checkpoint(key, 0);
      expect(await tier.loadLatest(key)).toEqual(latest);
      expect(await tier.loadVersion(key, 2)).toMatchObject({ version: 2, checkpoint: 'CRITICAL' });
      expect(await tier.loadVersion(key, 4)).toBeNull();
      expect((await tier.listCheckpoints(key, { limit: 10 })).map((c) => c.version)).toEqual([3, 2, 1]);
      expect(await tier.totals(tenantId)).toEqual({
        runs: 1,
        checkpoints: 3,
        inputTokens: 100,
        outputTokens: 50,
        costUsd: 0.1,
      });
      const row = { runs: 1, inputTokens: 100, outputTokens: 50, costUsd: 0.1 };
      expect(await allCosts(tenantId)).toEqual({
        agent: [{ key: 'planner', ...row }],
        model: [{ key: null, ...row }],
        day: [{ key: '2026-10-01', ...row }],
      });
    });

    it('answers null and empty lists for a run it does not hold', async () => {
      const key = { tenantId: id('t'), runId: id('run') };
      expect(await tier.getRun(key)).toBeNull();
      expect(await tier.loadLatest(key)).toBeNull();
      expect(await tier.loadVersion(key, 1)).toBeNull();
      expect(await tier.listCheckpoints(key, { limit: 5 })).toEqual([]);
      expect(await tier.costs(key.tenantId, { from: 0, to: T0 + DAY, groupBy: 'day' })).toEqual([]);
      expect(await tier.totals(key.tenantId)).toEqual({
        runs: 0,
        checkpoints: 0,
        inputTokens: 0,
        outputTokens: 0,
        costUsd: 0,
      });
    });

    describe('exactly once', () => {
      it('a batch written three more times (one in another order) adds nothing to the tables or the views', async () => {
        const tenantId = id('t');
        const batch = batchOf(tenantId, 20, 3, (i) => ({ costUsd: 0.1 + i / 100, model: `m${i % 3}` }));
        const first = await tier.writeBatch(batch);
        const after = await everything(tenantId);
        expect(after.totals).toMatchObject({ runs: 20, checkpoints: 60, inputTokens: 2000 });
        expect(after.totals.costUsd).toBeCloseTo(2 + 1.9, 9);

        const reordered = {
          ...batch,
          runs: [...batch.runs].reverse(),
          checkpoints: [...batch.checkpoints].reverse(),
        };
        for (const retry of [batch, batch, reordered]) {
          expect(await tier.writeBatch(retry)).toEqual(first);
          expect(await everything(tenantId)).toEqual(after);
        }
      });

      it('a doubled trigger (the same batch twice at once) is counted once', async () => {
        const tenantId = id('t');
        const batch = batchOf(tenantId, 10, 2);
        const [a, b] = await Promise.all([tier.writeBatch(batch), tier.writeBatch(batch)]);
        expect(a).toEqual(b);
        expect(await tier.totals(tenantId)).toMatchObject({ runs: 10, checkpoints: 20, costUsd: 1 });
        const [day] = await tier.costs(tenantId, { from: T0, to: T0 + DAY, groupBy: 'day' });
        expect(day).toMatchObject({ runs: 10, costUsd: 1 });
      });

      it('another batch with other runs is counted; a run another batch already archived is not', async () => {
        const tenantId = id('t');
        const one = batchOf(tenantId, 5, 1);
        await tier.writeBatch(one);
        const extra = run({ tenantId, runId: id('run') }, { costUsd: 1.5 });
        const overlapping = { batchId: id('b'), runs: [...one.runs.slice(0, 2), extra], checkpoints: [] };
        expect(await tier.writeBatch(overlapping)).toEqual({ runs: 1, checkpoints: 0, alreadyArchived: 2 });
        expect(await tier.totals(tenantId)).toMatchObject({ runs: 6, checkpoints: 5, costUsd: 2 });
        const [agent] = await tier.costs(tenantId, { from: T0, to: T0 + DAY, groupBy: 'agent' });
        expect(agent).toMatchObject({ runs: 6, costUsd: 2 });
      });

      it('an id reused for other content is written, not dropped as a retry', async () => {
        const tenantId = id('t');
        const first = batchOf(tenantId, 2, 1);
        await tier.writeBatch(first);
        const other = run({ tenantId, runId: id('run') });
        expect(
          await tier.writeBatch({ batchId: first.batchId, runs: [other], checkpoints: [] }),
        ).toMatchObject({
          runs: 1,
        });
        expect((await tier.totals(tenantId)).runs).toBe(3);
        expect(await tier.getRun(other)).toEqual(other);
      });

      it('refuses a malformed batch and writes none of it', async () => {
        const tenantId = id('t');
        const key = { tenantId, runId: id('run') };
        const good = checkpoint(key, 1);
        const cases: ArchiveBatch[] = [
          { batchId: id('b'), runs: [run(key)], checkpoints: [{ ...good, hash: sha256('other') }] },
          { batchId: id('b'), runs: [run(key)], checkpoints: [good, good] },
          { batchId: id('b'), runs: [run(key), run(key)], checkpoints: [] },
          { batchId: id('b'), runs: [], checkpoints: [good] },
          { batchId: '', runs: [run(key)], checkpoints: [] },
          { batchId: id('b'), runs: [run(key, { costUsd: -1 })], checkpoints: [] },
        ];
        for (const batch of cases)
          await expect(tier.writeBatch(batch)).rejects.toBeInstanceOf(InvalidRequest);
        expect((await tier.totals(tenantId)).runs + (await tier.totals(tenantId)).checkpoints).toBe(0);
      });

      it('accepts every run the state API can complete: no checkpoint, empty model, a cost of 1e9', async () => {
        // A batch refused here is refused on every retry and would block the archiver for good.
        const tenantId = id('t');
        const bare = run(
          { tenantId, runId: id('run') },
          { headVersion: 0, headHash: '', model: '', costUsd: 1e9 },
        );
        expect(await tier.writeBatch({ batchId: id('b'), runs: [bare], checkpoints: [] })).toMatchObject({
          runs: 1,
        });
        expect(await tier.getRun(bare)).toEqual(bare);
        expect(await tier.costs(tenantId, { from: T0, to: T0 + DAY, groupBy: 'model' })).toEqual([
          { key: null, runs: 1, inputTokens: 100, outputTokens: 50, costUsd: 1e9 },
        ]);
      });

      it('1,000 runs with 5 checkpoints each: counted exactly, once, through retries', async () => {
        const tenantId = id('t');
        const batch = batchOf(tenantId, 1000, 5, (i) => ({
          agentName: `agent-${i % 4}`,
          costUsd: 0.001 * (i % 7),
        }));
        expect(await tier.writeBatch(batch)).toEqual({ runs: 1000, checkpoints: 5000, alreadyArchived: 0 });
        const expectedCost = batch.runs.reduce((s, r) => s + r.costUsd, 0);
        const after = await everything(tenantId);
        expect(after.totals).toMatchObject({ runs: 1000, checkpoints: 5000, inputTokens: 100_000 });
        expect(after.totals.costUsd).toBeCloseTo(expectedCost, 9);
        const agents = after.costs.agent as { runs: number; costUsd: number }[];
        expect(agents).toHaveLength(4);
        expect(agents.reduce((s, a) => s + a.runs, 0)).toBe(1000);
        expect(agents.reduce((s, a) => s + a.costUsd, 0)).toBeCloseTo(expectedCost, 9);
        await tier.writeBatch(batch);
        expect(await everything(tenantId)).toEqual(after);
      }, 120_000);
    });

    describe('checkpoints', () => {
      it('round-trips payloads byte for byte (unicode, 64 KB, gzip-base64) with a matching hash', async () => {
        const key = { tenantId: id('t'), runId: id('run') };
        const unit = 'é中文🌍\u200d👩‍💻 "quoted" \\ \t\u2028 </script> ';
        const big = JSON.stringify({ text: unit.repeat(Math.ceil(65_536 / Buffer.byteLength(unit))) });
        expect(Buffer.byteLength(big)).toBeGreaterThanOrEqual(65_536);
        const plain = checkpoint(key, 1, { text: unit });
        const large = {
          ...checkpoint(key, 2),
          payload: big,
          hash: sha256(big),
          sizeBytes: Buffer.byteLength(big),
        };
        const packed = {
          ...large,
          version: 3,
          encoding: 'gzip-base64' as const,
          payload: gzipSync(big).toString('base64'),
        };
        await tier.writeBatch({ batchId: id('b'), runs: [run(key)], checkpoints: [plain, large, packed] });
        for (const [v, canonical] of [
          [1, plain.payload],
          [2, big],
          [3, big],
        ] as const) {
          const loaded = await tier.loadVersion(key, v);
          if (!loaded) throw new Error(`version ${v} is missing`);
          const decoded = decodePayload(loaded);
          expect(Buffer.from(decoded).equals(Buffer.from(canonical))).toBe(true);
          expect(loaded.hash).toBe(sha256(decoded));
          expect(loaded.sizeBytes).toBe(Buffer.byteLength(canonical));
        }
      });

      it('lists newest first and pages with beforeVersion', async () => {
        const key = { tenantId: id('t'), runId: id('run') };
        const cps = [1, 2, 3, 4, 5].map((v) =>
          checkpoint(key, v, { v }, { checkpoint: v === 3 ? 'FULL' : 'AUTO' }),
        );
        await tier.writeBatch({ batchId: id('b'), runs: [run(key)], checkpoints: cps });
        const first = await tier.listCheckpoints(key, { limit: 2 });
        expect(first.map((c) => c.version)).toEqual([5, 4]);
        const second = await tier.listCheckpoints(key, { limit: 2, beforeVersion: 4 });
        expect(second).toEqual([
          {
            version: 3,
            hash: cps[2]?.hash,
            checkpoint: 'FULL',
            sizeBytes: cps[2]?.sizeBytes,
            savedAt: cps[2]?.savedAt,
          },
          expect.objectContaining({ version: 2 }),
        ]);
        expect(
          (await tier.listCheckpoints(key, { limit: 2, beforeVersion: 2 })).map((c) => c.version),
        ).toEqual([1]);
        expect(await tier.listCheckpoints(key, { limit: 2, beforeVersion: 1 })).toEqual([]);
        await expect(tier.listCheckpoints(key, { limit: 0 })).rejects.toBeInstanceOf(InvalidRequest);
      });
    });

    it('costs by agent, model and day over a time range', async () => {
      const tenantId = id('t');
      const at = (day: number) => ({ completedAt: T0 + day * DAY + 1000 });
      const runs = [
        { agentName: 'a', model: 'm1', costUsd: 0.1, inputTokens: 1, outputTokens: 2, ...at(0) },
        { agentName: 'a', model: 'm2', costUsd: 0.2, inputTokens: 10, outputTokens: 20, ...at(1) },
        { agentName: 'b', model: 'm1', costUsd: 0.3, inputTokens: 100, outputTokens: 200, ...at(1) },
        { agentName: 'b', model: null, costUsd: 0.4, inputTokens: 1000, outputTokens: 2000, ...at(2) },
        { agentName: 'c', model: 'm1', costUsd: 9, inputTokens: 9, outputTokens: 9, ...at(-40) },
      ].map((over) => run({ tenantId, runId: id('run') }, over));
      await tier.writeBatch({ batchId: id('b'), runs, checkpoints: [] });
      const range = { from: T0, to: T0 + 3 * DAY };
      const row = (key: string | null, n: number, usd: number, inT: number, outT: number) => ({
        key,
        runs: n,
        costUsd: usd,
        inputTokens: inT,
        outputTokens: outT,
      });
      expect(await tier.costs(tenantId, { ...range, groupBy: 'agent' })).toEqual([
        row('a', 2, 0.3, 11, 22),
        row('b', 2, 0.7, 1100, 2200),
      ]);
      expect(await tier.costs(tenantId, { ...range, groupBy: 'model' })).toEqual([
        row(null, 1, 0.4, 1000, 2000),
        row('m1', 2, 0.4, 101, 202),
        row('m2', 1, 0.2, 10, 20),
      ]);
      expect(await tier.costs(tenantId, { ...range, groupBy: 'day' })).toEqual([
        row('2026-10-01', 1, 0.1, 1, 2),
        row('2026-10-02', 2, 0.5, 110, 220),
        row('2026-10-03', 1, 0.4, 1000, 2000),
      ]);
      // [from, to) in whole UTC days: the second day alone.
      expect(await tier.costs(tenantId, { from: T0 + DAY + 5, to: T0 + 2 * DAY, groupBy: 'day' })).toEqual([
        row('2026-10-02', 2, 0.5, 110, 220),
      ]);
    });

    it('keeps tenants apart: the same run id under two tenants', async () => {
      const runId = id('run');
      const a = { tenantId: id('ta'), runId };
      const b = { tenantId: id('tb'), runId };
      await tier.writeBatch({
        batchId: id('b'),
        runs: [run(a, { agentName: 'alpha' })],
        checkpoints: [checkpoint(a, 1, 'a')],
      });
      await tier.writeBatch({
        batchId: id('b'),
        runs: [run(b, { agentName: 'beta', costUsd: 2 })],
        checkpoints: [checkpoint(b, 1, 'b'), checkpoint(b, 2, 'b')],
      });
      expect((await tier.getRun(a))?.agentName).toBe('alpha');
      expect(await tier.loadLatest(a)).toMatchObject({ version: 1, payload: '"a"' });
      expect(await tier.listCheckpoints(a, { limit: 10 })).toHaveLength(1);
      expect(await tier.totals(a.tenantId)).toMatchObject({ runs: 1, checkpoints: 1, costUsd: 0.1 });
      expect(await tier.costs(a.tenantId, { from: T0, to: T0 + DAY, groupBy: 'agent' })).toEqual([
        expect.objectContaining({ key: 'alpha', runs: 1 }),
      ]);
      expect(await tier.deleteRun({ tenantId: id('tc'), runId })).toBe(false);
      expect(await tier.deleteRun(a)).toBe(true);
      expect(await tier.getRun(b)).toMatchObject({ agentName: 'beta' });
      expect(await tier.totals(b.tenantId)).toMatchObject({ runs: 1, checkpoints: 2, costUsd: 2 });
    });

    describe('deletion', () => {
      it('deleteRun removes the run, its checkpoints and its cost; a second delete changes nothing', async () => {
        const tenantId = id('t');
        const batch = batchOf(tenantId, 3, 2, (i) => ({ costUsd: [0.1, 0.2, 0.4][i] ?? 0 }));
        await tier.writeBatch(batch);
        const gone = batch.runs[1] ?? run({ tenantId, runId: 'x' });
        expect(await tier.deleteRun(gone)).toBe(true);
        expect(await tier.getRun(gone)).toBeNull();
        expect(await tier.loadLatest(gone)).toBeNull();
        expect(await tier.listCheckpoints(gone, { limit: 10 })).toEqual([]);
        const after = await everything(tenantId);
        expect(after.totals).toEqual({
          runs: 2,
          checkpoints: 4,
          inputTokens: 200,
          outputTokens: 100,
          costUsd: 0.5,
        });
        expect(after.costs.model).toEqual([
          { key: 'gpt-x', runs: 2, inputTokens: 200, outputTokens: 100, costUsd: 0.5 },
        ]);
        expect(await tier.deleteRun(gone)).toBe(false);
        expect(await everything(tenantId)).toEqual(after);
        // A late retry of the batch must not bring the deleted run back.
        await tier.writeBatch(batch);
        expect(await everything(tenantId)).toEqual(after);
      });

      it('deleteUser removes every run of that user, and only those', async () => {
        const tenantId = id('t');
        const batch = batchOf(tenantId, 6, 2, (i) => ({
          userId: i % 2 === 0 ? 'alice' : 'bob',
          costUsd: 0.25,
        }));
        await tier.writeBatch(batch);
        const other = batchOf(id('t'), 1, 1, () => ({ userId: 'alice' }));
        await tier.writeBatch(other);
        expect(await tier.deleteUser(tenantId, 'alice')).toBe(3);
        for (const r of batch.runs) expect((await tier.getRun(r)) !== null).toBe(r.userId === 'bob');
        const after = await everything(tenantId);
        expect(after.totals).toMatchObject({ runs: 3, checkpoints: 6, costUsd: 0.75 });
        expect(after.costs.agent).toEqual([expect.objectContaining({ runs: 3, costUsd: 0.75 })]);
        expect(await tier.deleteUser(tenantId, 'alice')).toBe(0);
        expect(await everything(tenantId)).toEqual(after);
        expect((await tier.totals(other.runs[0]?.tenantId ?? '')).runs).toBe(1);
        expect(await tier.deleteUser(tenantId, 'bob')).toBe(3);
        expect(await everything(tenantId)).toMatchObject({ totals: { runs: 0, checkpoints: 0, costUsd: 0 } });
        expect(await tier.costs(tenantId, { from: T0, to: T0 + DAY, groupBy: 'day' })).toEqual([]);
      });
    });
  });
}
