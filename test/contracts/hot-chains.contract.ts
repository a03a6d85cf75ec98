/**
 * The HotTier contract's delta-chain specs (hot.contract.ts runs them in its suite, on its fixture and tier):
 * patches stored as links, loads answering whole states, a head of the layout from before chains.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { HotSaveOptions, HotTier } from '../../lib/tiers/hot/port.ts';
import type { RunKey, StoredVersion } from '../../lib/tiers/types.ts';
import { canonicalOf, chainOf, stateAt, steps } from '../support/chains.ts';
import type { HotFixture } from './hot.contract.ts';

const TTL = 60;

export interface HotChainContext {
  readonly fx: HotFixture;
  /** The tier under test in the current spec (the suite makes a new one before each). */
  tier(): HotTier;
  /** Hands the suite the tier a spec went on with, for it to close. */
  replaceTier(next: HotTier): void;
  runKey(): RunKey;
}

export function hotChainSpecs({ fx, tier: current, replaceTier, runKey }: HotChainContext): void {
  describe('delta chains', () => {
    let tier: HotTier;
    beforeEach(() => {
      tier = current();
    });

    /** Saves the chain as the service would: the first record with knownHead 0, each patch with its baseHash. */
    async function saveChain(
      key: RunKey,
      records: readonly StoredVersion[],
      opts: Partial<HotSaveOptions> = {},
    ) {
      for (const rec of records) {
        const options = {
          ttlSeconds: TTL,
          ...(rec.version === records[0]!.version && { knownHead: rec.version - 1 }),
          ...(rec.baseHash !== undefined && { baseHash: rec.baseHash }),
          ...opts,
        };
        expect(await tier.save(key, rec, options)).toEqual({ status: 'saved' });
      }
    }

    it('stores patches as links and loads the head as its whole state, in canonical JSON', async () => {
      const key = runKey();
      const run = steps(6);
      const records = chainOf(run);
      await saveChain(key, records);
      const head = await tier.load(key);
      expect(head).toMatchObject({
        version: 6,
        hash: records[5]!.hash,
        encoding: 'json',
        payload: canonicalOf(run)[5],
        sizeBytes: records[5]!.sizeBytes,
        savedAt: records[5]!.savedAt,
        chain: { links: 5 },
      });
      expect(head?.format).toBeUndefined();
      // A whole state cuts the chain: the head is then answered as stored.
      const [, , , , , , seventh] = chainOf([...run, { state: { step: 7 }, whole: true }]);
      await saveChain(key, [seventh!]);
      expect(await tier.load(key)).toEqual(seventh);
    });

    it('refuses a patch that is not a link onto the head it was made from, and writes nothing', async () => {
      const key = runKey();
      const records = chainOf(steps(3));
      await saveChain(key, records.slice(0, 2));
      const third = records[2]!;
      expect(await tier.save(key, third, { ttlSeconds: TTL, baseHash: 'not-the-head' })).toEqual({
        status: 'base_changed',
      });
      // A patch without the head's hash to check against is refused too: its base would be unknown.
      const { baseHash: _unchecked, ...blind } = third;
      expect(await tier.save(key, blind, { ttlSeconds: TTL })).toEqual({ status: 'base_changed' });
      // No hot copy (a new run, an expired TTL): nothing to link onto.
      expect(
        await tier.save(runKey(), records[1]!, {
          ttlSeconds: TTL,
          knownHead: 1,
          baseHash: records[0]!.hash,
        }),
      ).toEqual({
        status: 'base_changed',
      });
      expect((await tier.load(key))?.version).toBe(2);
    });

    it('revert after a patch or after a whole state restores the chain that was there', async () => {
      const key = runKey();
      const run = steps(5, [4]);
      const records = chainOf(run);
      await saveChain(key, records.slice(0, 3));
      await saveChain(key, [records[3]!], { keepPrevious: true }); // whole: replaces the chain
      await tier.revert(key, 4, records[3]!.hash);
      expect((await tier.load(key))?.payload).toBe(canonicalOf(run)[2]);
      // A patch onto the restored head still links onto its chain.
      const other = chainOf([...run.slice(0, 3), { state: { ...(stateAt(4) as object), step: 40 } }]);
      await saveChain(key, [other[3]!], { keepPrevious: true });
      expect((await tier.load(key))?.hash).toBe(other[3]!.hash);
      await tier.revert(key, 4, other[3]!.hash);
      const back = await tier.load(key);
      expect(back).toMatchObject({ version: 3, hash: records[2]!.hash, payload: canonicalOf(run)[2] });
    });

    it('revert after an appended link pops exactly that link: version, hash and chain are as before', async () => {
      const key = runKey();
      const run = steps(5);
      const records = chainOf(run);
      const third = {
        version: 3,
        hash: records[2]!.hash,
        payload: canonicalOf(run)[2],
        chain: { links: 2 },
      };
      await saveChain(key, records.slice(0, 3));
      await saveChain(key, [records[3]!], { keepPrevious: true });
      await tier.revert(key, 4, records[3]!.hash);
      expect(await tier.load(key)).toMatchObject(third);
      // Kept and reverted again and again: nothing is left over from one undo to the next.
      for (let i = 0; i < 2; i++) {
        await saveChain(key, [records[3]!], { keepPrevious: true });
        await tier.revert(key, 4, records[3]!.hash);
      }
      expect(await tier.load(key)).toMatchObject(third);
      // The restored head takes the next links (its hash is the base they name).
      await saveChain(key, records.slice(3), { keepPrevious: true });
      expect(await tier.load(key)).toMatchObject({
        version: 5,
        payload: canonicalOf(run)[4],
        chain: { links: 4 },
      });
    });

    it('revert after a whole state brings back the whole chain it replaced, links and all', async () => {
      const key = runKey();
      const run = steps(5, [5]);
      const records = chainOf(run);
      await saveChain(key, records.slice(0, 4));
      await saveChain(key, [records[4]!], { keepPrevious: true });
      expect(await tier.load(key)).toEqual(records[4]);
      await tier.revert(key, 5, records[4]!.hash);
      expect(await tier.load(key)).toMatchObject({
        version: 4,
        hash: records[3]!.hash,
        payload: canonicalOf(run)[3],
        chain: { links: 3 },
      });
      // The chain is there again: a link onto version 4 is taken.
      const link = chainOf(steps(5))[4]!;
      await saveChain(key, [link], { keepPrevious: true });
      expect(await tier.load(key)).toMatchObject({
        version: 5,
        payload: canonicalOf(run)[4],
        chain: { links: 4 },
      });
    });

    it('revert undoes only the last save: after a kept whole state and a kept link, the whole state comes back', async () => {
      const key = runKey();
      const run = steps(4, [3]);
      const records = chainOf(run);
      await saveChain(key, records.slice(0, 2));
      await saveChain(key, [records[2]!], { keepPrevious: true });
      await saveChain(key, [records[3]!], { keepPrevious: true });
      await tier.revert(key, 4, records[3]!.hash);
      expect(await tier.load(key)).toEqual(records[2]);
      // A link saved without keepPrevious leaves nothing to restore: not the undo of the save before it.
      await saveChain(key, [records[3]!]);
      await tier.revert(key, 4, records[3]!.hash);
      expect(await tier.load(key)).toBeNull();
    });

    it('revert after a whole state onto a head of the layout before chains brings that head back', async () => {
      const key = runKey();
      const [first] = chainOf(steps(1));
      const old = { ...first!, checkpoint: 'CRITICAL' as const };
      tier = await fx.writeLegacyHead(tier, key, old, TTL);
      replaceTier(tier);
      expect(await tier.load(key)).toEqual(old);
      const whole = chainOf(steps(2, [2]))[1]!;
      for (let i = 0; i < 2; i++) {
        expect(await tier.save(key, whole, { ttlSeconds: TTL, keepPrevious: true })).toEqual({
          status: 'saved',
        });
        expect(await tier.load(key)).toEqual(whole);
        await tier.revert(key, 2, whole.hash);
        expect(await tier.load(key)).toEqual(old);
      }
      // The old head still takes a whole state, and a chain starts from it.
      const records = chainOf(steps(3, [2]));
      await saveChain(key, records.slice(1));
      expect(await tier.load(key)).toMatchObject({
        version: 3,
        hash: records[2]!.hash,
        chain: { links: 1 },
      });
    });

    it('a promotion replaces the chain with the whole state it carries', async () => {
      const key = runKey();
      const run = steps(4);
      const records = chainOf(run);
      await saveChain(key, records.slice(0, 2));
      const whole = { ...chainOf(run.map((s) => ({ ...s, whole: true })))[2]! };
      expect(await tier.promote(key, whole, TTL)).toBe(true);
      expect(await tier.load(key)).toEqual(whole);
      await saveChain(key, [records[3]!]);
      expect(await tier.load(key)).toMatchObject({ version: 4, payload: canonicalOf(run)[3] });
    });
  });
}
