/**
 * The durable contract's delta-chain specs (durable.contract.ts runs them in its suite, on its tier): patches
 * committed as links, loads answering whole states, a patch refused without its base, the known-head load.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { CheckpointSummary, CommitOptions, DurableTier } from '../../lib/tiers/durable/port.ts';
import type { RunKey, RunSummary, StoredVersion } from '../../lib/tiers/types.ts';
import { canonicalOf, chainOf, steps } from '../support/chains.ts';

export interface DurableChainContext {
  /** The tier under test (the suite's, made once). */
  tier(): DurableTier;
  commit(key: RunKey, rec: StoredVersion, opts?: Partial<CommitOptions>): ReturnType<DurableTier['commit']>;
  newKey(): RunKey;
  /** Everything a failed commit must leave untouched. */
  snapshot(key: RunKey): Promise<{ run: RunSummary | null; checkpoints: CheckpointSummary[] }>;
}

export function durableChainSpecs({ tier: current, commit, newKey, snapshot }: DurableChainContext): void {
  describe('delta chains', () => {
    let tier: DurableTier;
    beforeEach(() => {
      tier = current();
    });

    const rebuilt = (records: readonly StoredVersion[], run: readonly string[], v: number) =>
      expect.objectContaining({ version: v, hash: records[v - 1]!.hash, payload: run[v - 1] });

    it('stores patches as links; every load answers whole states rebuilt from the nearest whole one', async () => {
      const key = newKey();
      const run = steps(9, [5]);
      const records = chainOf(run);
      const canonical = canonicalOf(run);
      for (const rec of records) expect(await commit(key, rec)).toEqual({ status: 'committed' });
      expect(await tier.loadLatest(key)).toEqual(rebuilt(records, canonical, 9));
      expect((await tier.loadLatest(key))?.chain).toEqual({
        links: 4,
        bytes: records.slice(5).reduce((n, r) => n + r.payload.length, 0),
      });
      for (const v of [1, 3, 4, 5, 7]) {
        const loaded = await tier.loadVersion(key, v);
        expect(loaded).toEqual(v === 1 || v === 5 ? records[v - 1] : rebuilt(records, canonical, v));
        expect(loaded?.format).toBeUndefined();
      }
      expect(await tier.loadVersion(key, 10)).toBeNull();
      // History across the whole state at 5: each version rebuilt, newest first.
      const page = await tier.loadVersions(key, { limit: 4, beforeVersion: 8 });
      expect(page.map((r) => [r.version, r.hash])).toEqual(
        [7, 6, 5, 4].map((v) => [v, records[v - 1]!.hash]),
      );
      expect(page[3]).toEqual(rebuilt(records, canonical, 4));
      expect(await tier.loadVersions(key, { limit: 10, fromVersion: 2, toVersion: 3 })).toEqual([
        rebuilt(records, canonical, 3),
        rebuilt(records, canonical, 2),
      ]);
      const summaries = await tier.listCheckpoints(key, { limit: 1 });
      expect(summaries[0]).toMatchObject({ version: 9, sizeBytes: records[8]!.sizeBytes });
    });

    it('loadLatestUnless: the known head stands without its chain; any other head is rebuilt as loadLatest', async () => {
      const key = newKey();
      const run = steps(6, [3]);
      const records = chainOf(run);
      const canonical = canonicalOf(run);
      expect(await tier.loadLatestUnless(key, { version: 1, hash: records[0]!.hash })).toBeNull();
      for (const rec of records.slice(0, 5)) await commit(key, rec);
      const head = records[4]!;
      expect(await tier.loadLatestUnless(key, { version: 5, hash: head.hash })).toEqual({
        stands: true,
        checkpoint: head.checkpoint,
        sizeBytes: head.sizeBytes,
        savedAt: head.savedAt,
      });
      // An older version, or the head's number with other content, is not the head: the head is rebuilt.
      const latest = await tier.loadLatest(key);
      expect(latest).toEqual(rebuilt(records, canonical, 5));
      expect(await tier.loadLatestUnless(key, { version: 4, hash: records[3]!.hash })).toEqual(latest);
      expect(await tier.loadLatestUnless(key, { version: 5, hash: records[3]!.hash })).toEqual(latest);
      // Once a newer version is committed the known one no longer stands.
      await commit(key, records[5]!);
      expect(await tier.loadLatestUnless(key, { version: 5, hash: head.hash })).toEqual(
        rebuilt(records, canonical, 6),
      );
      // A known head that is a whole state stands too.
      const wholeKey = newKey();
      await commit(wholeKey, records[0]!);
      expect(await tier.loadLatestUnless(wholeKey, { version: 1, hash: records[0]!.hash })).toMatchObject({
        stands: true,
      });
    });

    it('refuses a patch whose base it does not hold (missing, or another content) with base_missing, writing nothing', async () => {
      const key = newKey();
      const records = chainOf(steps(4));
      await commit(key, records[0]!);
      const before = await snapshot(key);
      // Version 2 was never committed here (a hot-only version, say): 3 cannot link onto it.
      expect(await commit(key, records[2]!)).toEqual({ status: 'base_missing' });
      expect(await commit(key, { ...records[1]!, baseHash: 'another' })).toEqual({
        status: 'base_missing',
      });
      expect(await snapshot(key)).toEqual(before);
      expect(await commit(key, records[1]!, { requireHead: 1 })).toEqual({ status: 'committed' });
      // The same version committed whole instead is a chain of its own.
      const whole = chainOf(steps(4, [4]))[3]!;
      expect(await commit(key, whole)).toEqual({ status: 'committed' });
      expect(await tier.loadLatest(key)).toEqual(whole);
      expect(await commit(key, records[2]!)).toEqual({ status: 'committed' });
      expect(await tier.loadVersion(key, 3)).toEqual(rebuilt(records, canonicalOf(steps(4)), 3));
    });

    it('answers a retry of a committed patch as committed, and a taken version as a conflict, before base_missing', async () => {
      const key = newKey();
      const records = chainOf(steps(3));
      for (const rec of records) await commit(key, rec);
      expect(await commit(key, records[2]!)).toEqual({ status: 'committed' });
      const rival = chainOf([...steps(2), { state: { other: true } }])[2]!;
      expect(await commit(key, { ...rival, baseHash: 'unknown' })).toEqual({
        status: 'conflict',
        currentVersion: 3,
      });
    });
  });
}
