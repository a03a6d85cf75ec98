/**
 * The poisoned-spool flow of drain-fallback, written once and run on PGlite (drain-fallback.test.ts) and on the
 * real engines (drain-fallback.int.test.ts): a write Postgres refuses (a NUL in the agent name) sits in the
 * spool between good writes of other runs.
 */
import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import { AFTER_DEAD_LETTER, type DrainDeps, drainFallback } from '../../lib/lifecycle/drain-fallback.ts';
import { silentLogger } from '../../lib/observability/logger.ts';
import type { DurableTier } from '../../lib/tiers/durable/port.ts';
import type { FallbackStore, SpooledWrite } from '../../lib/tiers/fallback/port.ts';
import type { HotTier } from '../../lib/tiers/hot/port.ts';
import type { RunKey } from '../../lib/tiers/types.ts';
import { fields, version } from '../contracts/durable.contract.ts';

export interface DrainTiers {
  readonly durable: DurableTier;
  readonly hot: HotTier;
  readonly fallback: FallbackStore;
}

export const runKey = (name: string): RunKey => ({
  tenantId: `t-${randomUUID().slice(0, 8)}`,
  runId: `${name}-${randomUUID().slice(0, 8)}`,
});

/** A CRITICAL version as the service spools it; `poisoned` puts a NUL in the agent name, as the defect did. */
export function spoolWrite(
  fallback: FallbackStore,
  key: RunKey,
  v: number,
  poisoned = false,
): Promise<SpooledWrite> {
  return fallback.spool({
    key,
    record: version(v, { run: key.runId, step: v }, { checkpoint: 'CRITICAL' }),
    run: fields({ agentName: poisoned ? 'a\u0000' : 'planner' }),
    spooledAt: Date.now(),
  });
}

export const drain = (tiers: DrainTiers) =>
  drainFallback({ ...tiers, log: silentLogger } satisfies DrainDeps);

const head = async (tiers: DrainTiers, key: RunKey) => (await tiers.durable.loadLatest(key))?.version ?? 0;

/**
 * The whole flow, asserting as it goes: the good runs drain past the poisoned write, which is quarantined;
 * the poisoned run's later versions are not committed over the gap, in this drain or the next, until a save
 * has gone straight to Postgres past it; erasing the run removes its dead letters. `reopen`, when given, closes
 * the fallback store and opens it again between the first and the second drain (a process restart).
 */
export async function poisonedSpoolFlow(
  first: DrainTiers,
  reopen?: (store: FallbackStore) => Promise<FallbackStore>,
): Promise<void> {
  let tiers = first;
  const { durable } = tiers;
  let { fallback } = tiers;
  const [a, p, b] = [runKey('good-a'), runKey('poisoned'), runKey('good-b')];
  await spoolWrite(fallback, a, 1);
  await spoolWrite(fallback, p, 1);
  await spoolWrite(fallback, b, 1);
  const refused = await spoolWrite(fallback, p, 2, true);
  await spoolWrite(fallback, a, 2);
  const behind = await spoolWrite(fallback, p, 3);
  await spoolWrite(fallback, b, 2);

  expect(await drain(tiers)).toEqual({
    replayed: 5,
    conflicts: 0,
    quarantined: 2,
    stoppedEarly: false,
    remaining: 0,
  });
  expect([await head(tiers, a), await head(tiers, b), await head(tiers, p)]).toEqual([2, 2, 1]);
  expect(await durable.loadVersion(p, 3)).toBeNull();
  expect((await tiers.hot.load(a))?.version).toBe(2);
  expect(await fallback.deadLetters({ limit: 10 })).toEqual([
    { write: refused, reason: 'invalid_data', quarantinedAt: expect.any(Number) },
    { write: behind, reason: AFTER_DEAD_LETTER, quarantinedAt: expect.any(Number) },
  ]);

  // The next drain does not replay them, and keeps the gap: a version spooled later is set aside as well.
  if (reopen) {
    fallback = await reopen(fallback);
    tiers = { ...tiers, fallback };
  }
  const later = await spoolWrite(fallback, p, 4);
  expect(await drain(tiers)).toMatchObject({
    replayed: 0,
    quarantined: 1,
    stoppedEarly: false,
    remaining: 0,
  });
  expect(await head(tiers, p)).toBe(1);
  expect((await fallback.deadLetters({ limit: 10 })).map((d) => d.write.id)).toEqual([
    refused.id,
    behind.id,
    later.id,
  ]);

  // A save went straight to Postgres past the gap (the tier was back): spooled versions after it replay.
  await durable.commit(p, version(5, { run: p.runId, step: 5 }), { run: fields() });
  await spoolWrite(fallback, p, 6);
  expect(await drain(tiers)).toMatchObject({ replayed: 1, quarantined: 0, remaining: 0 });
  expect(await head(tiers, p)).toBe(6);

  expect(await fallback.removeRun(p)).toBe(3);
  expect(await fallback.deadLetterCount()).toBe(0);
}
