/**
 * The `retention` job on the real engines: a run abandoned without `complete` is closed as failed with its newest
 * (hot-only) state kept, then archived; a long live run loses checkpoints past retention but never its newest.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { archiveCompleted } from '../../lib/lifecycle/archive-completed.ts';
import { applyRetention } from '../../lib/lifecycle/retention.ts';
import { type StrataFixture, startStrata } from '../support/strata.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
let strata: StrataFixture;
let clock = Date.now();

beforeAll(async () => {
  strata = await startStrata({ archive: true, now: () => clock });
});
afterAll(async () => strata?.close());

const state = (step: number) => ({ agentName: 'long', status: 'running', step, data: { step } });

describe('retention', () => {
  it('closes an abandoned run as failed, keeping its newest hot-only state, and the archiver takes it', async () => {
    const { apiKey, tenantId } = await strata.createTenant('mid');
    // v1 durable (CRITICAL), v2 hot only (AUTO on the mid plan).
    await strata.put(apiKey, 'abandoned', { state: state(1), checkpoint: 'CRITICAL', expectedVersion: 0 });
    const last = await strata.put(apiKey, 'abandoned', { state: state(2), expectedVersion: 1 });
    expect(last.body.durability).toBe('hot');

    // Postgres stamps updated_at with its own clock, so "abandoned" is judged against real time here.
    clock = Date.now() + 1_000;
    const report = await applyRetention(strata.lifecycle!, {
      abandonAfterMs: 1,
      durableRetentionMs: 30 * DAY,
    });
    expect(report.abandoned).toBeGreaterThanOrEqual(1);
    const run = await strata.durable.getRun({ tenantId, runId: 'abandoned' });
    expect(run).toMatchObject({ status: 'failed', durableVersion: 2 });

    await archiveCompleted(strata.lifecycle!, {
      batchSize: 100,
      leaseMs: 60_000,
      hotRetentionMs: HOUR,
      durableRetentionMs: 30 * DAY,
    });
    const archived = await strata.archive!.getRun({ tenantId, runId: 'abandoned' });
    expect(archived).toMatchObject({ status: 'failed', headVersion: 2, headHash: last.body.hash });
  });

  it('drops old checkpoints of a long live run, never its newest', async () => {
    const { apiKey, tenantId } = await strata.createTenant('enterprise');
    const key = { tenantId, runId: 'marathon' };
    const start = clock;
    for (let v = 0; v < 5; v++) {
      clock = start + v * 10 * DAY; // one save every 10 days
      expect((await strata.put(apiKey, 'marathon', { state: state(v), expectedVersion: v })).status).toBe(
        200,
      );
    }
    clock = start + 45 * DAY; // versions saved at day 0 and day 10 are past 30 days; day 20 is not.
    const report = await applyRetention(strata.lifecycle!, {
      abandonAfterMs: 365 * DAY,
      durableRetentionMs: 30 * DAY,
    });
    expect(report.liveCheckpointsDeleted).toBeGreaterThanOrEqual(2);
    const left = await strata.durable.listCheckpoints(key, { limit: 10 });
    expect(left.map((c) => c.version)).toEqual([5, 4, 3]);

    // Even when every checkpoint is past retention, the newest stays.
    clock = start + 400 * DAY;
    await applyRetention(strata.lifecycle!, { abandonAfterMs: 365 * DAY * 10, durableRetentionMs: 30 * DAY });
    expect((await strata.durable.listCheckpoints(key, { limit: 10 })).map((c) => c.version)).toEqual([5]);
    const head = await strata.get(apiKey, '/v1/runs/marathon/state');
    expect(head.body.version).toBe(5);
  });
});
