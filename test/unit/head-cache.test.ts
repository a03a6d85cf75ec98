/**
 * The instance's head cache: a patch on the version this instance last saved or loaded needs no read of its
 * base, and the cache is never trusted alone — the hot CAS checks the base's hash, and a save that cannot go
 * through the hot tier reads its base again.
 */
import { describe, expect, it } from 'vitest';
import { TierUnavailable } from '../../lib/errors.ts';
import { contentHash } from '../../lib/model/canonical.ts';
import { silentLogger } from '../../lib/observability/logger.ts';
import { type Caller, createPersistenceService } from '../../lib/service/index.ts';
import { stateJsonOf } from '../../lib/service/versions.ts';
import type { DurableTier, TenantDirectory } from '../../lib/tiers/durable/port.ts';
import { createMemoryFallback } from '../../lib/tiers/fallback/memory.ts';
import type { HotTier } from '../../lib/tiers/hot/port.ts';
import { withEmbeddedTiers } from '../support/embedded-tiers.ts';
import { TEST_SETTINGS } from '../support/service-settings.ts';

let durable: DurableTier & TenantDirectory;
let hot: HotTier;
const caller: Caller = { tenant: { id: 't-cache', name: 'cache', plan: 'enterprise', createdAt: 0 } };
let runs = 0;

withEmbeddedTiers((tiers) => {
  ({ durable, hot } = tiers);
});

/** The hot tier as the service sees it, counting its loads, and able to play dead. */
function watchedHot() {
  const counts = { loads: 0 };
  let up = true;
  const tier = new Proxy(hot, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (!up) return Promise.reject(new TierUnavailable('hot', 'switched off'));
        if (property === 'load') counts.loads++;
        return Reflect.apply(value, target, args);
      };
    },
  });
  const setUp = (value: boolean) => {
    up = value;
  };
  return { tier, counts, setUp };
}

const state = (step: number, data: Record<string, unknown>) => ({
  agentName: 'a',
  status: 'running' as const,
  step,
  data,
});
const add = (path: string, value: unknown) => [{ op: 'add' as const, path, value }];

function service(hotTier: HotTier) {
  return createPersistenceService({
    hot: hotTier,
    durable,
    fallback: createMemoryFallback(),
    settings: TEST_SETTINGS,
    log: silentLogger,
    now: Date.now,
  });
}

describe('the instance head cache', () => {
  it('patches the version it saved last without reading it again', async () => {
    const watched = watchedHot();
    const s = service(watched.tier);
    const runId = `cache-${++runs}`;
    await s.save(caller, {
      runId,
      request: { state: state(1, { a: 1 }), checkpoint: 'CRITICAL', expectedVersion: 0 },
    });
    const before = watched.counts.loads;
    const saved = await s.save(caller, {
      runId,
      request: { patch: add('/data/b', 2), baseVersion: 1, checkpoint: 'CRITICAL' },
    });
    expect(watched.counts.loads).toBe(before);
    expect(saved.hash).toBe(contentHash(state(1, { a: 1, b: 2 })));
  });

  it('reads the base after all when the hot head is the same version with other content', async () => {
    const s = service(hot);
    const runId = `cache-${++runs}`;
    const key = { tenantId: caller.tenant.id, runId };
    await s.save(caller, {
      runId,
      request: { state: state(1, { mine: true }), checkpoint: 'AUTO', expectedVersion: 0 },
    });
    // Version 1 is replaced under this instance's feet (a Redis that lost it, another writer's version 1).
    const other = await hot.load(key);
    const theirs = state(1, { theirs: true });
    const json = JSON.stringify({ agentName: 'a', data: { theirs: true }, status: 'running', step: 1 });
    await hot.delete(key);
    await hot.promote(
      key,
      { ...other!, hash: contentHash(theirs), payload: json, encoding: 'json', sizeBytes: json.length },
      600,
    );
    const saved = await s.save(caller, {
      runId,
      request: { patch: add('/data/b', 2), baseVersion: 1, checkpoint: 'AUTO' },
    });
    expect(saved.hash).toBe(contentHash(state(1, { theirs: true, b: 2 }))); // built on what the tier holds
    expect(JSON.parse(stateJsonOf((await hot.load(key))!)).data).toEqual({ theirs: true, b: 2 });
  });

  it('reads the base from Postgres when the save must go without the hot tier', async () => {
    const watched = watchedHot();
    const s = service(watched.tier);
    const runId = `cache-${++runs}`;
    await s.save(caller, {
      runId,
      request: { state: state(1, { a: 1 }), checkpoint: 'CRITICAL', expectedVersion: 0 },
    });
    watched.setUp(false);
    const saved = await s.save(caller, {
      runId,
      request: { patch: add('/data/b', 2), baseVersion: 1, checkpoint: 'CRITICAL' },
    });
    watched.setUp(true);
    expect(saved).toMatchObject({
      version: 2,
      durability: 'durable',
      hash: contentHash(state(1, { a: 1, b: 2 })),
    });
  });
});
