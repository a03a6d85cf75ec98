/**
 * Where an operator learns of dead letters (the consistency check, the health endpoint), and the save that
 * used to put one in the spool: a CRITICAL save Postgres refuses is answered 400, never `spooled`. Memory hot
 * tier and fallback, PGlite.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { TierRejected } from '../../lib/errors.ts';
import { errorReply } from '../../lib/http/errors.ts';
import { checkConsistency } from '../../lib/lifecycle/consistency.ts';
import { formatConsistencyReport } from '../../lib/lifecycle/consistency-format.ts';
import { silentLogger } from '../../lib/observability/logger.ts';
import { type Caller, createPersistenceService } from '../../lib/service/index.ts';
import type { WithRunScan } from '../../lib/tiers/durable/archive-queue-port.ts';
import type { DurableTier, TenantDirectory } from '../../lib/tiers/durable/port.ts';
import { createMemoryFallback } from '../../lib/tiers/fallback/memory.ts';
import type { FallbackStore } from '../../lib/tiers/fallback/port.ts';
import type { HotTier } from '../../lib/tiers/hot/port.ts';
import { withEmbeddedTiers } from '../support/embedded-tiers.ts';
import { drain, runKey, spoolWrite } from './drain-scenario.ts';

let durable: DurableTier & TenantDirectory & WithRunScan;
let hot: HotTier;

withEmbeddedTiers((tiers) => {
  ({ durable, hot } = tiers);
});

const service = (fallback: FallbackStore) =>
  createPersistenceService({
    hot,
    durable,
    fallback,
    log: silentLogger,
    now: Date.now,
    settings: {
      limits: { maxStateBytes: 1 << 20, maxDepth: 64 },
      compressAboveBytes: 8192,
      ephemeralPaths: [],
      idempotencyTtlSeconds: 60,
    },
  });

/** A fallback store holding one dead letter (version 2 of `key`, refused for its NUL), put there by the drain. */
async function withDeadLetter() {
  const fallback = createMemoryFallback();
  const key = runKey('poisoned');
  await spoolWrite(fallback, key, 1);
  const refused = await spoolWrite(fallback, key, 2, true);
  expect(await drain({ durable, hot, fallback })).toMatchObject({ replayed: 1, quarantined: 1 });
  return { fallback, key, refused };
}

describe('strata check reports dead letters', () => {
  it('counts them and lists the first by run, version and reason, never the payload', async () => {
    const { fallback, key, refused } = await withDeadLetter();
    const report = await checkConsistency(
      { hot, durable, runScan: durable.runScan, fallback, log: silentLogger },
      { repair: false },
    );
    expect(report.deadLetters).toEqual({
      count: 1,
      first: [
        {
          tenantId: key.tenantId,
          runId: key.runId,
          version: 2,
          reason: 'invalid_data',
          quarantinedAt: expect.any(Number),
          spoolId: refused.id,
        },
      ],
    });
    const text = formatConsistencyReport(report, { repair: false });
    expect(text).toContain('Dead letters: 1 spooled write(s)');
    expect(text).toContain(`  ${key.tenantId}/${key.runId}  v2  invalid_data  `);
    expect(text).not.toContain(refused.record.payload);
    expect(text).not.toContain(refused.record.hash);
  });

  it('says none, or not checked without a fallback store', async () => {
    const deps = { hot, durable, runScan: durable.runScan, log: silentLogger };
    const empty = await checkConsistency({ ...deps, fallback: createMemoryFallback() }, { repair: false });
    expect(empty.deadLetters).toEqual({ count: 0, first: [] });
    const none = await checkConsistency(deps, { repair: false });
    expect(none.deadLetters).toBeNull();
    expect(formatConsistencyReport(none, { repair: false })).toContain('Dead letters: not checked');
  });
});

describe('GET /health/persistence reports dead letters', () => {
  it('on the fallback entry, as a count', async () => {
    expect((await service(createMemoryFallback()).health()).tiers.fallback).toMatchObject({
      status: 'up',
      deadLetters: 0,
    });
    const { fallback } = await withDeadLetter();
    const health = await service(fallback).health();
    expect(health.tiers.fallback).toMatchObject({ status: 'up', deadLetters: 1 });
    expect(health.tiers.durable).not.toHaveProperty('deadLetters');
  });
});

describe('a CRITICAL save Postgres refuses', () => {
  it('is answered 400 invalid_request, and nothing is spooled or left in the hot tier', async () => {
    const fallback = createMemoryFallback();
    const tenant = await durable.createTenant({ id: `t-${randomUUID()}`, name: 'refused', plan: 'mid' });
    const caller: Caller = { tenant };
    const runId = `r-${randomUUID()}`;
    const error = await service(fallback)
      .save(caller, {
        runId,
        request: {
          checkpoint: 'CRITICAL',
          state: { agentName: 'a\u0000', status: 'running', step: 1, data: {} },
          expectedVersion: 0,
        },
      })
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(errorReply(error, silentLogger)).toMatchObject({
      status: 400,
      body: { error: 'invalid_request' },
    });
    expect(await fallback.count()).toBe(0);
    expect(await hot.load({ tenantId: tenant.id, runId })).toBeNull();
    expect(await durable.getRun({ tenantId: tenant.id, runId })).toBeNull();
  });

  it('maps to a message that names the reason and nothing of the data', () => {
    const cause = new Error('invalid byte sequence for encoding "UTF8": 0x00 in "secret-value"');
    const reply = errorReply(new TierRejected('durable', 'invalid_data', '22021', { cause }), silentLogger);
    expect(reply).toEqual({
      status: 400,
      body: { error: 'invalid_request', message: 'a tier refused the data: invalid_data' },
    });
  });
});
