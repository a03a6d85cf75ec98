/**
 * What every RunScan adapter must do. The scan is global to its database (every tenant), so specs assert on
 * their own runs (random tenant ids) and compare whole walks rather than counting the database.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  ScannedRun,
  WithArchiveQueue,
  WithRunScan,
} from '../../lib/tiers/durable/archive-queue-port.ts';
import type { DurableTier } from '../../lib/tiers/durable/port.ts';
import type { RunKey } from '../../lib/tiers/types.ts';
import { fields, id, version } from './durable.contract.ts';

export type ScanUnderTest = DurableTier & WithArchiveQueue & WithRunScan;

export interface RunScanFixture {
  readonly name: string;
  create(): Promise<ScanUnderTest>;
  /** Sets runs.durable_version behind the ports' back (no port can); resolves to the tier to use from then on. */
  setDurableVersion(tier: ScanUnderTest, key: RunKey, durableVersion: number): Promise<ScanUnderTest>;
}

const FAR = Date.UTC(9999, 0, 1);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const keyOf = (run: RunKey) => `${run.tenantId}/${run.runId}`;

export function runScanContract(fx: RunScanFixture): void {
  describe(`${fx.name} · RunScan`, () => {
    let tier: ScanUnderTest;
    beforeAll(async () => {
      tier = await fx.create();
    });
    afterAll(async () => tier?.close());

    /** Every run of the database, `pageSize` at a time, each page starting after the last run of the one before. */
    const walk = async (pageSize: number, updatedSince?: number) => {
      const all: ScannedRun[] = [];
      for (let pages = 0; pages < 1000; pages++) {
        const last = all.at(-1);
        const page = await tier.runScan.scanRuns({
          limit: pageSize,
          ...(last && { after: { tenantId: last.tenantId, runId: last.runId } }),
          ...(updatedSince !== undefined && { updatedSince }),
        });
        all.push(...page);
        if (page.length < pageSize) return all;
      }
      throw new Error('the walk did not end');
    };
    const scanned = async (key: RunKey) => (await walk(5000)).find((r) => keyOf(r) === keyOf(key));

    it('walks every run of every tenant once, in the same order whatever the page size', async () => {
      const made: RunKey[] = [];
      for (const tenantId of [id('t'), id('t')]) {
        for (let i = 0; i < 4; i++) {
          const key = { tenantId, runId: id('run') };
          await tier.commit(key, version(1), { run: fields() });
          made.push(key);
        }
      }
      const big = await walk(5000);
      const small = await walk(3);
      expect(small.map(keyOf)).toEqual(big.map(keyOf));
      expect(new Set(big.map(keyOf)).size).toBe(big.length);
      for (const key of made) expect(big.filter((r) => keyOf(r) === keyOf(key))).toHaveLength(1);
      expect(await tier.runScan.countRuns({})).toBe(big.length);
    });

    it('reports the newest stored checkpoint next to what the index says', async () => {
      const key = { tenantId: id('t'), runId: id('run') };
      for (const v of [1, 2, 3]) await tier.commit(key, version(v), { run: fields() });
      const run = await scanned(key);
      expect(run).toMatchObject({ durableVersion: 3, head: { version: 3, hash: version(3).hash } });
      expect(run).toMatchObject({
        status: 'running',
        completedAt: null,
        archivedAt: null,
        archiveHead: null,
      });

      const empty = { tenantId: id('t'), runId: id('run') };
      await tier.ensureRun(empty, fields());
      expect(await scanned(empty)).toMatchObject({ durableVersion: 0, head: null });
    });

    it('updatedSince keeps only the runs changed since then, in the scan and in the count', async () => {
      const before = { tenantId: id('t'), runId: id('run') };
      await tier.commit(before, version(1), { run: fields() });
      await sleep(30);
      const since = Date.now();
      await sleep(30);
      const after = { tenantId: id('t'), runId: id('run') };
      await tier.commit(after, version(1), { run: fields() });
      const recent = await walk(2, since);
      expect(recent.map(keyOf)).toEqual([keyOf(after)]);
      expect(await tier.runScan.countRuns({ updatedSince: since })).toBe(1);
    });

    it('shows the head an archive batch froze, and its hash only while that checkpoint is stored', async () => {
      const key = { tenantId: id('t'), runId: id('run') };
      for (const v of [1, 2]) await tier.commit(key, version(v), { run: fields() });
      await tier.complete(key, {
        status: 'completed',
        completedAt: Date.now(),
        model: null,
        inputTokens: 0,
        outputTokens: 0,
        costUsd: 0,
      });
      for (let i = 0; i < 100; i++) {
        const batch = await tier.archiveQueue.claimBatch({
          limit: 100,
          leaseMs: 60_000,
          now: Date.now(),
          newBatchId: id('b'),
        });
        if (!batch) break;
        await tier.archiveQueue.markArchived(batch.batchId, Date.now());
      }
      // A late commit after the batch (a repair may still land one in a completed run): the newest checkpoint
      // moves on, the batch head does not.
      await tier.commit(key, version(3), { run: fields(), intoCompletedRun: true });
      expect(await scanned(key)).toMatchObject({
        durableVersion: 3,
        head: { version: 3 },
        archiveHead: { version: 2, hash: version(2).hash },
      });
      expect((await scanned(key))?.archivedAt).toEqual(expect.any(Number));

      while ((await tier.archiveQueue.deleteArchivedCheckpoints({ savedBefore: FAR, limit: 1000 })) > 0);
      expect(await scanned(key)).toMatchObject({
        head: { version: 3 },
        archiveHead: { version: 2, hash: null },
      });
    });

    it('raiseDurableVersion raises a lagging index to the newest checkpoint, and never lowers one', async () => {
      const key = { tenantId: id('t'), runId: id('run') };
      for (const v of [1, 2, 3]) await tier.commit(key, version(v), { run: fields() });
      tier = await fx.setDurableVersion(tier, key, 1);
      const lagging = await scanned(key);
      expect(lagging).toMatchObject({ durableVersion: 1, head: { version: 3 } });

      expect(await tier.runScan.raiseDurableVersion(key)).toBe(true);
      const raised = await scanned(key);
      expect(raised).toMatchObject({ durableVersion: 3 });
      expect(raised?.updatedAt).toBe(lagging?.updatedAt); // the run did not change: it is not "recent" now
      expect(await tier.runScan.raiseDurableVersion(key)).toBe(false);

      tier = await fx.setDurableVersion(tier, key, 7);
      expect(await tier.runScan.raiseDurableVersion(key)).toBe(false);
      expect(await scanned(key)).toMatchObject({ durableVersion: 7, head: { version: 3 } });
      expect(await tier.runScan.raiseDurableVersion({ tenantId: id('t'), runId: id('run') })).toBe(false);
    });
  });
}
