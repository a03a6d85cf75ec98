/** drain-fallback over the memory fallback, the memory hot tier and PGlite: dead letters, gaps, outages. */
import { describe, expect, it } from 'vitest';
import { TierUnavailable } from '../../lib/errors.ts';
import { silentLogger } from '../../lib/observability/logger.ts';
import { type Breakers, withBreaker } from '../../lib/runtime/resilient-tiers.ts';
import type { DurableTier } from '../../lib/tiers/durable/port.ts';
import { createMemoryFallback } from '../../lib/tiers/fallback/memory.ts';
import type { HotTier } from '../../lib/tiers/hot/port.ts';
import { fields, version } from '../contracts/durable.contract.ts';
import { withEmbeddedTiers } from '../support/embedded-tiers.ts';
import { drain, poisonedSpoolFlow, runKey, spoolWrite } from './drain-scenario.ts';

let durable: DurableTier;
let hot: HotTier;

withEmbeddedTiers((tiers) => {
  ({ durable, hot } = tiers);
});

describe('drain-fallback with a write Postgres refuses', () => {
  it('quarantines it, drains the other runs past it, and keeps the gap in its run', async () => {
    await poisonedSpoolFlow({ durable, hot, fallback: createMemoryFallback() });
  });

  it('refusals do not open the durable breaker: the good writes behind five of them still drain', async () => {
    const breakers: Breakers = {};
    const guarded = withBreaker('durable', durable, breakers, silentLogger, { failureThreshold: 3 });
    const fallback = createMemoryFallback();
    const poisoned = Array.from({ length: 5 }, () => runKey('poisoned'));
    for (const key of poisoned) await spoolWrite(fallback, key, 1, true);
    const good = runKey('good');
    await spoolWrite(fallback, good, 1);
    expect(await drain({ durable: guarded, hot, fallback })).toEqual({
      replayed: 1,
      conflicts: 0,
      quarantined: 5,
      stoppedEarly: false,
      remaining: 0,
    });
    expect(breakers.durable?.state()).toBe('closed');
    expect((await durable.loadLatest(good))?.version).toBe(1);
  });

  it('a durable tier that is down still stops the drain, and nothing is quarantined', async () => {
    const fallback = createMemoryFallback();
    const key = runKey('waiting');
    const spooled = [await spoolWrite(fallback, key, 1), await spoolWrite(fallback, key, 2)];
    const down: DurableTier = {
      ...durable,
      commit: async () => {
        throw new TierUnavailable('durable', 'connection refused');
      },
    };
    expect(await drain({ durable: down, hot, fallback })).toEqual({
      replayed: 0,
      conflicts: 0,
      quarantined: 0,
      stoppedEarly: true,
      remaining: 2,
    });
    expect(await fallback.list({ limit: 10 })).toEqual(spooled);
    expect(await fallback.deadLetterCount()).toBe(0);
    // Back up: the same writes replay.
    expect(await drain({ durable, hot, fallback })).toMatchObject({ replayed: 2, remaining: 0 });
  });

  it('a fallback store that fails while quarantining stops the drain; the write stays spooled', async () => {
    const inner = createMemoryFallback();
    const key = runKey('poisoned');
    const spooled = await spoolWrite(inner, key, 1, true);
    const fallback = {
      ...inner,
      quarantine: async () => {
        throw new TierUnavailable('fallback', 'disk gone');
      },
    };
    expect(await drain({ durable, hot, fallback })).toMatchObject({
      quarantined: 0,
      stoppedEarly: true,
      remaining: 1,
    });
    expect(await inner.list({ limit: 10 })).toEqual([spooled]);
    expect(await durable.getRun(key)).toBeNull();
  });
});

describe('drain-fallback while the hot tier is away', () => {
  it('keeps a replayed write in the spool until the hot tier holds it: the spool is what tells loads the hot copy is behind', async () => {
    const fallback = createMemoryFallback();
    const key = runKey('hot-away');
    const [written] = [await spoolWrite(fallback, key, 1)];
    const away: HotTier = {
      ...hot,
      promote: async () => {
        throw new TierUnavailable('hot', 'connection refused');
      },
    };
    expect(await drain({ durable, hot: away, fallback })).toMatchObject({ stoppedEarly: true, remaining: 1 });
    expect((await durable.loadLatest(key))?.version).toBe(1); // committed all the same
    expect(await fallback.loadLatest(key)).toEqual(written?.record); // and still spooled
    // Redis is back: the next pass promotes, then forgets the spooled write.
    expect(await drain({ durable, hot, fallback })).toMatchObject({
      replayed: 1,
      stoppedEarly: false,
      remaining: 0,
    });
    expect((await hot.load(key))?.version).toBe(1);
  });

  it('promotes what Postgres holds now, not an older spooled write, into a hot tier that lost its data', async () => {
    // The drain committed v1 but could not promote it (Redis away), so the write stayed spooled; the run went on
    // in Postgres to v3; then Redis lost everything (a restart). Promoting v1 then made Redis serve v1 to every
    // instance while Postgres held v3 (GOLDEN_RECOVERY_FLOW, seed 201: "head 2 (hot), acked v6").
    const fallback = createMemoryFallback();
    const key = runKey('wiped');
    await spoolWrite(fallback, key, 1);
    const away: HotTier = {
      ...hot,
      promote: async () => {
        throw new TierUnavailable('hot', 'connection refused');
      },
    };
    expect(await drain({ durable, hot: away, fallback })).toMatchObject({ stoppedEarly: true, remaining: 1 });
    for (const v of [2, 3])
      expect(await durable.commit(key, version(v, { run: key.runId, step: v }), { run: fields() })).toEqual({
        status: 'committed',
      });
    expect(await hot.load(key)).toBeNull(); // the wiped hot tier
    expect(await drain({ durable, hot, fallback })).toMatchObject({ replayed: 1, remaining: 0 });
    expect((await hot.load(key))?.version).toBe(3);
  });
});
