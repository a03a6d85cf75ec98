/**
 * A retry must not be acknowledged from a receipt its first attempt wrote before it was durable. The first
 * attempt of a durable save holds in Postgres; its retry (same Idempotency-Key) finds the hot receipt; then the
 * first attempt fails (Postgres and the spool both refuse) and is reverted. Before the fix the retry answered
 * 200 `durable` for a version no tier held — the lost save of GOLDEN_RECOVERY_FLOW (seed 20261127).
 */
import { describe, expect, it } from 'vitest';
import { TierUnavailable } from '../../lib/errors.ts';
import { silentLogger } from '../../lib/observability/logger.ts';
import { type Caller, createPersistenceService } from '../../lib/service/index.ts';
import type { DurableTier, TenantDirectory } from '../../lib/tiers/durable/port.ts';
import { createMemoryFallback } from '../../lib/tiers/fallback/memory.ts';
import type { FallbackStore } from '../../lib/tiers/fallback/port.ts';
import type { HotTier } from '../../lib/tiers/hot/port.ts';
import { withEmbeddedTiers } from '../support/embedded-tiers.ts';
import { TEST_SETTINGS } from '../support/service-settings.ts';

let durable: DurableTier & TenantDirectory;
let hot: HotTier;
const caller: Caller = { tenant: { id: 't-replay', name: 'replay', plan: 'enterprise', createdAt: 0 } };

withEmbeddedTiers((tiers) => {
  ({ durable, hot } = tiers);
});

/** A durable tier whose next commit waits for `release()` and then fails as if Postgres had gone away. */
function stallingDurable(inner: DurableTier) {
  let release!: () => void;
  let stalled = false;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const tier: DurableTier = Object.create(inner);
  tier.commit = async (...args) => {
    if (stalled) return inner.commit(...args);
    stalled = true;
    await gate;
    throw new TierUnavailable('durable', 'connection lost');
  };
  tier.getReceipt = (...args) => inner.getReceipt(...args);
  tier.getRun = (...args) => inner.getRun(...args);
  tier.loadVersion = (...args) => inner.loadVersion(...args);
  return { tier, release };
}

const refusingSpool = (inner: FallbackStore): FallbackStore => {
  const store: FallbackStore = Object.create(inner);
  store.spool = async () => {
    throw new TierUnavailable('fallback', 'disk gone');
  };
  return store;
};

const state = (step: number) => ({ agentName: 'a', status: 'running' as const, step, data: { step } });

describe('an idempotent retry while its first attempt is not durable yet', () => {
  it('is not acknowledged from the hot receipt; once the first attempt is reverted it saves for real', async () => {
    const runId = `r-${Date.now()}`;
    const fallback = createMemoryFallback();
    const plain = createPersistenceService({
      hot,
      durable,
      fallback,
      settings: TEST_SETTINGS,
      log: silentLogger,
      now: Date.now,
    });
    await plain.save(caller, {
      runId,
      request: { state: state(1), checkpoint: 'CRITICAL', expectedVersion: 0 },
    });

    const { tier, release } = stallingDurable(durable);
    const service = createPersistenceService({
      hot,
      durable: tier,
      fallback: refusingSpool(fallback),
      settings: TEST_SETTINGS,
      log: silentLogger,
      now: Date.now,
    });
    const save = {
      runId,
      request: { state: state(2), checkpoint: 'CRITICAL' as const, expectedVersion: 1 },
      idempotencyKey: 'step-2',
    };
    const first = service.save(caller, save);
    await new Promise((resolve) => setTimeout(resolve, 20)); // the first attempt now waits on Postgres
    const retry = await service.save(caller, save).then(
      (receipt) => ({ ok: true as const, receipt }),
      (error: unknown) => ({ ok: false as const, error }),
    );
    release();
    await expect(first).rejects.toBeInstanceOf(TierUnavailable);

    // Version 2 is stored nowhere: no answer may have acknowledged it.
    expect(await durable.loadVersion({ tenantId: caller.tenant.id, runId }, 2)).toBeNull();
    expect((await hot.load({ tenantId: caller.tenant.id, runId }))?.version).toBe(1);
    expect(retry.ok).toBe(false);
    if (!retry.ok) expect(retry.error).toBeInstanceOf(TierUnavailable);

    // The agent retries again, now that the first attempt is gone: a real save.
    const again = await plain.save(caller, save);
    expect(again).toMatchObject({ version: 2, durability: 'durable' });
    expect(await durable.loadVersion({ tenantId: caller.tenant.id, runId }, 2)).not.toBeNull();
    // And a retry of a save that did land is answered from Postgres' receipt, as before.
    expect(await plain.save(caller, save)).toEqual(again);
  });
});
