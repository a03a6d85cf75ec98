/**
 * Every row of the failover table (lib/service/failover.ts), for a save the plan makes durable and one it keeps
 * hot-only, over the embedded adapters (memory hot tier, PGlite, memory fallback) with tiers switched off — no
 * process is killed. Each case checks the answer AND where the version is (and is not) stored. The README's
 * table is the same table.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TierName } from '../../lib/errors.ts';
import { TierUnavailable } from '../../lib/errors.ts';
import { silentLogger } from '../../lib/observability/logger.ts';
import {
  LOAD_TABLE,
  type LoadRoute,
  SAVE_TABLE,
  type SaveRoute,
  saveRoute,
} from '../../lib/service/failover.ts';
import { type Caller, createPersistenceService } from '../../lib/service/index.ts';
import { createPgliteDurableTier } from '../../lib/tiers/durable/pglite.ts';
import type { DurableTier, PlanName, TenantDirectory } from '../../lib/tiers/durable/port.ts';
import { createMemoryFallback } from '../../lib/tiers/fallback/memory.ts';
import type { FallbackStore } from '../../lib/tiers/fallback/port.ts';
import { createMemoryHotTier } from '../../lib/tiers/hot/memory.ts';
import type { HotTier } from '../../lib/tiers/hot/port.ts';
import { TEST_SETTINGS } from '../support/service-settings.ts';

/** A tier that answers like a dead one (TierUnavailable on every call) while switched off. */
function switchable<T extends object>(tier: T, name: TierName) {
  let on = true;
  const proxy = new Proxy(tier, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function' || property === 'close') return value;
      return (...args: unknown[]) =>
        on ? Reflect.apply(value, target, args) : Promise.reject(new TierUnavailable(name, 'switched off'));
    },
  });
  const set = (up: boolean) => {
    on = up;
  };
  return { tier: proxy, set };
}

let durable: DurableTier & TenantDirectory;
let hot: HotTier;
let fallback: FallbackStore;

beforeAll(async () => {
  durable = await createPgliteDurableTier();
  hot = await createMemoryHotTier();
  fallback = createMemoryFallback();
});
afterAll(async () => {
  await durable?.close();
  await hot?.close();
});

const caller = (plan: PlanName): Caller => ({ tenant: { id: `t-${plan}`, name: plan, plan, createdAt: 0 } });
const state = (step: number) => ({ agentName: 'a', status: 'running' as const, step, data: { step } });
let runs = 0;

/** Where version 2 of the run is after the save, tier by tier (asked with every tier back on). */
async function whereIs(runId: string, tenantId: string) {
  const key = { tenantId, runId };
  return {
    hot: (await hot.load(key))?.version === 2,
    durable: (await durable.loadVersion(key, 2)) !== null,
    spooled: (await fallback.loadVersion(key, 2)) !== null,
  };
}

const EXPECTED: Record<
  SaveRoute,
  { durability: string | null; at: { hot: boolean; durable: boolean; spooled: boolean } }
> = {
  hot: { durability: 'hot', at: { hot: true, durable: false, spooled: false } },
  'hot-then-durable': { durability: 'durable', at: { hot: true, durable: true, spooled: false } },
  'durable-arbitrates': { durability: 'durable', at: { hot: false, durable: true, spooled: false } },
  'hot-then-spool': { durability: 'spooled', at: { hot: true, durable: false, spooled: true } },
  'spool-checked': { durability: 'spooled', at: { hot: false, durable: false, spooled: true } },
  refuse: { durability: null, at: { hot: false, durable: false, spooled: false } },
};

const cases = SAVE_TABLE.flatMap((row) => [
  { ...row, save: 'durable' as const, plan: 'enterprise' as PlanName, route: row.durableSave },
  { ...row, save: 'hot-only' as const, plan: 'mid' as PlanName, route: row.hotOnlySave },
]);

function serviceOver() {
  const switches = {
    hot: switchable(hot, 'hot'),
    durable: switchable(durable, 'durable'),
    fallback: switchable(fallback, 'fallback'),
  };
  const service = createPersistenceService({
    hot: switches.hot.tier,
    durable: switches.durable.tier,
    fallback: switches.fallback.tier,
    settings: TEST_SETTINGS,
    log: silentLogger,
    now: Date.now,
  });
  const set = (health: { hot: string; durable: string; fallback: string }) => {
    switches.hot.set(health.hot === 'up');
    switches.durable.set(health.durable === 'up');
    switches.fallback.set(health.fallback === 'up');
  };
  return { service, set, allUp: () => set({ hot: 'up', durable: 'up', fallback: 'up' }) };
}

describe('the load table, row by row', () => {
  const expected: Record<LoadRoute, string | null> = {
    hot: 'hot',
    'newest-below': 'durable',
    'archive-or-refuse': null,
  };
  it.each(LOAD_TABLE)(
    'hot $hot, durable $durable, fallback $fallback: the head takes "$head"',
    async (row) => {
      const { service, set, allUp } = serviceOver();
      const who = caller('enterprise');
      const runId = `load-${++runs}`;
      await service.save(who, {
        runId,
        request: { state: state(1), checkpoint: 'CRITICAL', expectedVersion: 0 },
      });
      set(row);
      const servedBy = await service.load(who, { runId }).then(
        (loaded) => {
          expect(loaded.version).toBe(1);
          return loaded.servedBy as string;
        },
        (error: unknown) => {
          expect(error).toBeInstanceOf(TierUnavailable);
          return null;
        },
      );
      allUp();
      expect(servedBy).toBe(expected[row.head]);
    },
  );

  it('a hot head the spool has overtaken counts as down: the newer spooled version, or a 503 without Postgres', async () => {
    const { service, set, allUp } = serviceOver();
    const who = caller('enterprise');
    const runId = `load-${++runs}`;
    await service.save(who, {
      runId,
      request: { state: state(1), checkpoint: 'CRITICAL', expectedVersion: 0 },
    });
    // Version 2 saved while Redis and Postgres were both away: only the spool holds it.
    set({ hot: 'down', durable: 'down', fallback: 'up' });
    await service.save(who, {
      runId,
      request: { state: state(2), checkpoint: 'CRITICAL', expectedVersion: 1 },
    });
    set({ hot: 'up', durable: 'down', fallback: 'up' });
    await expect(service.load(who, { runId })).rejects.toBeInstanceOf(TierUnavailable);
    allUp();
    expect(await service.load(who, { runId })).toMatchObject({ version: 2, servedBy: 'fallback' });
  });
});

describe('both tiers down: the spool checks the version', () => {
  /** Version 1 to 3 with every tier up, and a whole copy of version `spooled` left in the fallback store. */
  async function runWithSpooled(spooled: number) {
    const { service, set, allUp } = serviceOver();
    const who = caller('enterprise');
    const runId = `spool-${++runs}`;
    for (const v of [1, 2, 3])
      await service.save(who, {
        runId,
        request: { state: state(v), checkpoint: 'CRITICAL', expectedVersion: v - 1 },
      });
    const key = { tenantId: who.tenant.id, runId };
    const record = await durable.loadVersion(key, spooled);
    await fallback.spool({
      key,
      record: record!,
      run: { agentName: 'a', parentRunId: null, threadId: null, userId: null, status: 'running' },
      spooledAt: Date.now(),
    });
    set({ hot: 'down', durable: 'down', fallback: 'up' });
    // Content no version of the run had: a save of it is never a replay.
    const save = (expectedVersion: number) =>
      service.save(who, {
        runId,
        request: { state: state(100 + expectedVersion), checkpoint: 'CRITICAL', expectedVersion },
      });
    return { save, allUp, key };
  }

  it('spools a save whose base is past the newest spooled version (an unpaid hot debt proves nothing)', async () => {
    const { save, allUp, key } = await runWithSpooled(1);
    const receipt = await save(3);
    allUp();
    expect(receipt).toMatchObject({ version: 4, durability: 'spooled' });
    expect((await fallback.loadLatest(key))?.version).toBe(4);
  });

  it('refuses a save the spool proves stale: its version is spooled with other content', async () => {
    const { save, allUp } = await runWithSpooled(3);
    const refused = await save(2).catch((error: unknown) => error);
    allUp();
    expect(refused).toMatchObject({ name: 'VersionConflict', currentVersion: 3 });
  });
});

describe('the failover table, row by row', () => {
  it.each(cases)(
    'hot $hot, durable $durable, fallback $fallback: a $save save takes "$route"',
    async ({ hot: hotHealth, durable: durableHealth, fallback: fallbackHealth, plan, route }) => {
      const { service, set, allUp } = serviceOver();
      const who = caller(plan);
      const runId = `row-${++runs}`;
      // Version 1 with every tier up, durable on both plans (a CRITICAL save), so each tier knows the head.
      await service.save(who, {
        runId,
        request: { state: state(1), checkpoint: 'CRITICAL', expectedVersion: 0 },
      });
      set({ hot: hotHealth, durable: durableHealth, fallback: fallbackHealth });
      const answer = await service
        .save(who, { runId, request: { state: state(2), checkpoint: 'AUTO', expectedVersion: 1 } })
        .then(
          (receipt) => receipt.durability as string,
          (error: unknown) => {
            expect(error).toBeInstanceOf(TierUnavailable);
            return null;
          },
        );
      allUp();

      const expected = EXPECTED[route];
      expect(answer).toBe(expected.durability);
      // Postgres arbitrating without Redis leaves the hot copy behind: the fallback store records that (a whole
      // copy of the version, a "hot debt" every instance sees) when it is up.
      const debt = route === 'durable-arbitrates' && fallbackHealth === 'up';
      expect(await whereIs(runId, who.tenant.id)).toEqual({
        ...expected.at,
        spooled: expected.at.spooled || debt,
      });
    },
  );

  it('is the table the README shows, row for row', async () => {
    const readme = await readFile(join(import.meta.dirname, '../../README.md'), 'utf8');
    const rows = [
      ...readme.matchAll(/^\| (up|down) \| (up|down) \| (up|down) \| `([a-z-]+)` \| `([a-z-]+)` \|/gm),
    ];
    expect(
      rows.map(([, hot, durable, fallback, durableSave, hotOnlySave]) => ({
        hot,
        durable,
        fallback,
        durableSave,
        hotOnlySave,
      })),
    ).toEqual(SAVE_TABLE.map((r) => ({ ...r })));
  });

  it('the load table is the one the README shows', async () => {
    const readme = await readFile(join(import.meta.dirname, '../../README.md'), 'utf8');
    const rows = [...readme.matchAll(/^\| (up|down) \| (up|down) \| (up|down) \| `([a-z-]+)` \|$/gm)];
    expect(rows.map(([, hot, durable, fallback, head]) => ({ hot, durable, fallback, head }))).toEqual(
      LOAD_TABLE.map((r) => ({ ...r })),
    );
  });

  it('answers every combination, and nothing else', () => {
    expect(new Set(SAVE_TABLE.map((r) => `${r.hot}/${r.durable}/${r.fallback}`)).size).toBe(8);
    expect(() => saveRoute({ hot: 'up', durable: 'up', fallback: 'sideways' as never }, true)).toThrow(
      /no failover row/,
    );
  });
});
