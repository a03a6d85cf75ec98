/** GOLDEN_LONG_RUNNING_FLOW replayed end to end: HTTP saves on a test clock, real TTL expiry, archive, retention. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { archiveCompleted } from '../../lib/lifecycle/archive-completed.ts';
import { applyRetention } from '../../lib/lifecycle/retention.ts';
import { type StrataFixture, startStrata } from '../support/strata.ts';
import {
  GOLDEN_LONG_RUNNING_FLOW as FLOW,
  type FlowAgent,
  HOUR,
  STEP_MS,
  stateAt,
} from './long-running-flow.ts';

let strata: StrataFixture;
const start = Date.UTC(2026, 10, 2, 0, 0, 0);
let clock = start;

beforeAll(async () => {
  strata = await startStrata({ archive: true, now: () => clock });
});
afterAll(async () => strata?.close());

const lifecycleOptions = {
  batchSize: 100,
  leaseMs: 5 * 60_000,
  hotRetentionMs: HOUR,
  durableRetentionMs: 30 * 24 * HOUR,
};

describe('GOLDEN_LONG_RUNNING_FLOW', () => {
  it('runs a 24-hour lifecycle and keeps every acknowledged version loadable with its hash', async () => {
    const { apiKey, tenantId } = await strata.createTenant(FLOW.plan);
    const acknowledged = new Map<string, Map<number, string>>(FLOW.agents.map((a) => [a.runId, new Map()]));
    const active = new Set<FlowAgent>(FLOW.agents);
    const versionOf = (agent: FlowAgent) => acknowledged.get(agent.runId)!.size;
    let expiredServedBy = '';

    for (let tick = 0; tick < FLOW.hours * 6; tick++) {
      clock = start + tick * STEP_MS;
      const hour = tick / 6;
      for (const agent of [...active]) {
        if (hour >= agent.finishesAt) {
          const step = versionOf(agent);
          const state = stateAt(agent, step - 1);
          const done = await strata.post(apiKey, `/v1/runs/${agent.runId}/complete`, {
            status: 'completed',
            metadata: state.metadata,
          });
          expect(done.status).toBe(200);
          active.delete(agent);
          continue;
        }
        const expiring = agent.agentName === 'orchestrator' && hour === FLOW.hotExpiryAtHour;
        const put = await strata.put(apiKey, agent.runId, {
          state: stateAt(agent, versionOf(agent)),
          checkpoint: tick % 6 === 0 ? 'CRITICAL' : 'AUTO',
          expectedVersion: versionOf(agent),
          ...(expiring && { ttlSeconds: 1 }),
        });
        expect(put.status, JSON.stringify(put.body)).toBe(200);
        expect(put.body.durability).toBe('durable');
        acknowledged.get(agent.runId)!.set(put.body.version, put.body.hash);
        if (expiring) {
          // The hot copy's TTL runs out for real: Redis drops it and the next read comes from Postgres.
          await new Promise((resolve) => setTimeout(resolve, 1_500));
          const loaded = await strata.get(apiKey, `/v1/runs/${agent.runId}/state`);
          expiredServedBy = loaded.body.servedBy;
          expect(loaded.body.version).toBe(put.body.version);
        }
      }
      // The scheduled jobs, on their cadence: archive every (virtual) hour, retention every 6 hours.
      if (tick % 6 === 0) await archiveCompleted(strata.lifecycle!, lifecycleOptions);
      if (tick % 36 === 0)
        await applyRetention(strata.lifecycle!, {
          abandonAfterMs: 7 * 24 * HOUR,
          durableRetentionMs: 30 * 24 * HOUR,
        });
    }
    expect(expiredServedBy).toBe('durable');
    expect(active.size).toBe(2); // the orchestrator and the reviewer finish at hour 24, after the last tick
    for (const agent of active) {
      const state = stateAt(agent, versionOf(agent) - 1);
      const done = await strata.post(apiKey, `/v1/runs/${agent.runId}/complete`, {
        status: 'completed',
        metadata: state.metadata,
      });
      expect(done.status).toBe(200);
    }

    // A month later: everything archived, hot copies purged, durable checkpoints past retention.
    clock = start + 24 * HOUR;
    await archiveCompleted(strata.lifecycle!, lifecycleOptions);
    clock = start + 31 * 24 * HOUR;
    const late = await archiveCompleted(strata.lifecycle!, lifecycleOptions);
    expect(late.durableCheckpointsDeleted).toBeGreaterThan(0);

    // Counts and cost sums in ClickHouse equal what was completed, with zero duplicates.
    const totals = await strata.archive!.totals(tenantId);
    const versions = [...acknowledged.values()].reduce((sum, m) => sum + m.size, 0);
    expect(totals.runs).toBe(FLOW.agents.length);
    expect(totals.checkpoints).toBe(versions);
    const expectedCost = FLOW.agents.reduce(
      (sum, a) => sum + stateAt(a, acknowledged.get(a.runId)!.size - 1).metadata.costUsd,
      0,
    );
    expect(totals.costUsd).toBeCloseTo(expectedCost, 9);
    const byAgent = await strata.archive!.costs(tenantId, {
      from: start,
      to: start + 2 * 24 * HOUR,
      groupBy: 'agent',
    });
    expect(byAgent.map((r) => r.key)).toEqual(['coder', 'orchestrator', 'researcher', 'reviewer']);
    expect(byAgent.reduce((sum, r) => sum + r.costUsd, 0)).toBeCloseTo(expectedCost, 9);

    // Every acknowledged version loads, from the archive, with the hash it was acknowledged with.
    for (const [runId, hashes] of acknowledged) {
      expect(await strata.durable.loadLatest({ tenantId, runId })).toBeNull();
      for (const [version, hash] of hashes) {
        const loaded = await strata.get(apiKey, `/v1/runs/${runId}/state?version=${version}`);
        expect(loaded.status, `${runId} v${version}`).toBe(200);
        expect(loaded.body.hash, `${runId} v${version}`).toBe(hash);
        expect(loaded.body.servedBy).toBe('archive');
      }
    }
  }, 180_000);
});
