/**
 * Completed runs reach ClickHouse (chDB through @clickhouse/client-web) exactly once, whatever happens to the
 * archiver: a doubled trigger, a crash between the ClickHouse insert and the Postgres mark, two archivers at
 * once. Counts and cost sums are read from the base tables (duplicates would show) and from the cost views.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { archiveCompleted } from '../../lib/lifecycle/archive-completed.ts';
import type { LifecycleDeps } from '../../lib/lifecycle/deps.ts';
import { type StrataFixture, startStrata } from '../support/strata.ts';

let strata: StrataFixture;
let clock = Date.now();
const now = () => clock;
const MINUTE = 60_000;
const DAY = 86_400_000;

beforeAll(async () => {
  strata = await startStrata({ archive: true, now });
});
afterAll(async () => strata?.close());

const options = {
  batchSize: 7,
  // Batches of up to 7 runs written in parts of about 3 (production: 1,000), so every case crosses parts.
  runsPerPart: 3,
  leaseMs: 5 * MINUTE,
  hotRetentionMs: 3_600_000,
  durableRetentionMs: 30 * DAY,
};

/** `count` runs of a fresh tenant, each with three CRITICAL versions, completed with a known cost. */
async function completedRuns(count: number) {
  const { apiKey, tenantId } = await strata.createTenant('mid');
  let costNanos = 0;
  let inputTokens = 0;
  for (let i = 0; i < count; i++) {
    const runId = `run-${i}-${randomUUID().slice(0, 8)}`;
    for (let v = 0; v < 3; v++) {
      const state = { agentName: `agent-${i % 3}`, status: 'running', step: v, data: { i, v } };
      const put = await strata.put(apiKey, runId, { state, checkpoint: 'CRITICAL', expectedVersion: v });
      expect(put.status).toBe(200);
    }
    const cost = (i + 1) * 0.001_001;
    costNanos += Math.round(cost * 1e9);
    inputTokens += 100 + i;
    const done = await strata.post(apiKey, `/v1/runs/${runId}/complete`, {
      status: i % 5 === 4 ? 'failed' : 'completed',
      metadata: {
        model: i % 2 ? 'model-a' : 'model-b',
        inputTokens: 100 + i,
        outputTokens: 10,
        costUsd: cost,
      },
    });
    expect(done.status).toBe(200);
  }
  return { tenantId, apiKey, count, costUsd: costNanos / 1e9, inputTokens, completedAt: clock };
}

/** The archive's raw counts and its cost views must both show each run exactly once. */
async function expectArchivedOnce(expected: Awaited<ReturnType<typeof completedRuns>>) {
  const totals = await strata.archive!.totals(expected.tenantId);
  expect(totals.runs).toBe(expected.count);
  expect(totals.checkpoints).toBe(expected.count * 3);
  expect(totals.costUsd).toBeCloseTo(expected.costUsd, 9);
  expect(totals.inputTokens).toBe(expected.inputTokens);
  const byDay = await strata.archive!.costs(expected.tenantId, {
    from: expected.completedAt - DAY,
    to: expected.completedAt + DAY,
    groupBy: 'day',
  });
  expect(byDay.reduce((sum, row) => sum + row.runs, 0)).toBe(expected.count);
  expect(byDay.reduce((sum, row) => sum + row.costUsd, 0)).toBeCloseTo(expected.costUsd, 9);
  const byModel = await strata.archive!.costs(expected.tenantId, {
    from: expected.completedAt - DAY,
    to: expected.completedAt + DAY,
    groupBy: 'model',
  });
  expect(byModel.reduce((sum, row) => sum + row.inputTokens, 0)).toBe(expected.inputTokens);
}

/** Archive until the queue is empty; returns the summed report. */
async function drain(deps: LifecycleDeps) {
  return archiveCompleted(deps, { ...options, maxBatches: 100 });
}

describe('archive-completed, exactly once', () => {
  it('archives every completed run with its checkpoints, and a second pass finds nothing', async () => {
    const expected = await completedRuns(12);
    const first = await drain(strata.lifecycle!);
    expect(first.runs).toBeGreaterThanOrEqual(12);
    await expectArchivedOnce(expected);
    const second = await drain(strata.lifecycle!);
    expect(second.batches).toBe(0);
    await expectArchivedOnce(expected);
  });

  it('survives a doubled trigger (two passes at the same moment)', async () => {
    const expected = await completedRuns(15);
    await Promise.all([drain(strata.lifecycle!), drain(strata.lifecycle!)]);
    await expectArchivedOnce(expected);
  });

  it('survives a crash between the ClickHouse insert and the Postgres mark: the retry re-sends the same batch', async () => {
    const expected = await completedRuns(9);
    let crashes = 0;
    const crashing: LifecycleDeps = {
      ...strata.lifecycle!,
      hooks: {
        afterArchiveWrite: async () => {
          crashes++;
          throw new Error('instance died after the insert');
        },
      },
    };
    await expect(drain(crashing)).rejects.toThrow('instance died');
    expect(crashes).toBe(1);
    const stuck = await strata.durable.archiveQueue.stats();
    expect(stuck.batchesInFlight).toBeGreaterThanOrEqual(1);
    // Before the lease ends nobody else takes that batch; after it, the same batch comes back (attempt 2).
    clock += options.leaseMs + MINUTE;
    const retry = await drain(strata.lifecycle!);
    expect(retry.retried).toBeGreaterThanOrEqual(1);
    await expectArchivedOnce(expected);
  });

  it('survives a crash between two parts of a batch: the retry writes every part, none twice', async () => {
    const expected = await completedRuns(7);
    const parts: number[] = [];
    const crashing: LifecycleDeps = {
      ...strata.lifecycle!,
      hooks: {
        afterArchivePart: async (_batchId, part) => {
          parts.push(part);
          throw new Error('instance died after the first part');
        },
      },
    };
    await expect(drain(crashing)).rejects.toThrow('instance died');
    expect(parts).toEqual([0]);
    // Part 0 is in the archive, the rest is not, and the batch is not marked.
    const partial = await strata.archive!.totals(expected.tenantId);
    expect(partial.runs).toBeGreaterThan(0);
    expect(partial.runs).toBeLessThan(expected.count);
    clock += options.leaseMs + MINUTE;
    const retry = await drain(strata.lifecycle!);
    expect(retry.retried).toBeGreaterThanOrEqual(1);
    await expectArchivedOnce(expected);
  });

  it('lets two archivers work at once without sharing a run', async () => {
    const expected = await completedRuns(30);
    const [a, b] = await Promise.all([drain(strata.lifecycle!), drain({ ...strata.lifecycle! })]);
    expect(a.batches + b.batches).toBeGreaterThanOrEqual(Math.ceil(30 / options.batchSize));
    await expectArchivedOnce(expected);
  });

  it('serves an archived run after retention removed its hot and durable copies', async () => {
    const expected = await completedRuns(2);
    const runs = await strata.get(expected.apiKey, '/v1/runs?limit=10');
    const runId = runs.body.runs[0].runId as string;
    const before = await strata.get(expected.apiKey, `/v1/runs/${runId}/state?version=2`);
    await drain(strata.lifecycle!);
    clock += 31 * DAY;
    const retention = await drain(strata.lifecycle!);
    expect(retention.hotPurged).toBeGreaterThanOrEqual(2);
    expect(retention.durableCheckpointsDeleted).toBeGreaterThanOrEqual(6);
    const key = { tenantId: expected.tenantId, runId };
    expect(await strata.hot.load(key)).toBeNull();
    expect(await strata.durable.loadLatest(key)).toBeNull();

    const head = await strata.get(expected.apiKey, `/v1/runs/${runId}/state`);
    expect(head.status).toBe(200);
    expect(head.body).toMatchObject({ version: 3, servedBy: 'archive' });
    const v2 = await strata.get(expected.apiKey, `/v1/runs/${runId}/state?version=2`);
    expect(v2.body).toMatchObject({
      version: 2,
      hash: before.body.hash,
      servedBy: 'archive',
      state: before.body.state,
    });
    const history = await strata.get(expected.apiKey, `/v1/runs/${runId}/checkpoints`);
    expect(history.body.checkpoints.map((c: { version: number }) => c.version)).toEqual([3, 2, 1]);
    await expectArchivedOnce(expected);
  });

  it('answers cost analytics for the caller only, grouped by agent, model or day', async () => {
    const mine = await completedRuns(6);
    const theirs = await completedRuns(4);
    await drain(strata.lifecycle!);
    const from = new Date(clock - DAY).toISOString();
    const to = new Date(clock + DAY).toISOString();
    const byAgent = await strata.get(mine.apiKey, `/v1/analytics/costs?from=${from}&to=${to}&groupBy=agent`);
    expect(byAgent.status).toBe(200);
    expect(byAgent.body.rows.map((r: { key: string }) => r.key)).toEqual(['agent-0', 'agent-1', 'agent-2']);
    expect(byAgent.body.totals.runs).toBe(6);
    expect(byAgent.body.totals.costUsd).toBeCloseTo(mine.costUsd, 9);
    const other = await strata.get(theirs.apiKey, `/v1/analytics/costs?from=${from}&to=${to}&groupBy=model`);
    expect(other.body.totals.runs).toBe(4);
    const bad = await strata.get(mine.apiKey, '/v1/analytics/costs?groupBy=tenant');
    expect(bad.status).toBe(400);
  });
});
