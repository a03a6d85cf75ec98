/**
 * The Worker with an archive: @clickhouse/client-web inside workerd → chDB behind the ClickHouse HTTP interface
 * on a loopback port (infra/chdb-http), migrated from Node as `npm run db:migrate` does. The minute cron
 * archives a completed run exactly once, and cost analytics are answered from the archive.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChdbHttpServer, startChdbHttpServer } from '../../infra/chdb-http/index.ts';
import { contentHash } from '../../lib/model/canonical.ts';
import { createClickHouseArchiveTier, migrateClickHouseArchive } from '../../lib/tiers/archive/clickhouse.ts';
import type { ArchiveTier } from '../../lib/tiers/archive/port.ts';
import { bounded, startWorkerHarness, WORKER_REDIS_DATABASES, type WorkerHarness } from './harness.ts';

let dataDir: string;
let chdb: ChdbHttpServer;
let archive: ArchiveTier;
let worker: WorkerHarness;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'strata-workerd-chdb-'));
  chdb = await startChdbHttpServer({ dataDir });
  await migrateClickHouseArchive({ url: chdb.url });
  archive = createClickHouseArchiveTier({ url: chdb.url });
  worker = await startWorkerHarness({
    redisDatabase: WORKER_REDIS_DATABASES.archive,
    bindings: { STRATA_ARCHIVE: 'clickhouse', CLICKHOUSE_URL: chdb.url },
  });
});
afterAll(async () => {
  await bounded(worker?.close(), 30_000);
  await bounded(archive?.close());
  await bounded(chdb?.close(), 10_000);
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('the Worker with a ClickHouse archive', () => {
  it('archives a completed run once on the minute cron, and answers its cost from the archive', async () => {
    const { tenantId, apiKey } = await worker.createTenant('mid');
    const runId = `run-${randomUUID()}`;
    const key = { tenantId, runId };
    worker.forget(key);
    const state = { agentName: 'summariser', status: 'running', step: 1, data: { notes: ['é'] } };
    const saved = await worker.call(apiKey, 'PUT', `/v1/runs/${runId}/state`, {
      state,
      checkpoint: 'CRITICAL',
      expectedVersion: 0,
    });
    expect(saved.body).toMatchObject({ version: 1, durability: 'durable' });
    const completed = await worker.call(apiKey, 'POST', `/v1/runs/${runId}/complete`, {
      status: 'completed',
      metadata: { model: 'model-a', inputTokens: 120, outputTokens: 30, costUsd: 0.0042 },
    });
    expect(completed.status).toBe(200);
    expect(await archive.getRun(key)).toBeNull();

    // Fired twice, as a doubled trigger would: the second pass finds nothing left to archive.
    expect((await worker.scheduled('* * * * *')).outcome).toBe('ok');
    expect((await worker.scheduled('* * * * *')).outcome).toBe('ok');

    expect(await archive.getRun(key)).toMatchObject({ headVersion: 1, headHash: contentHash(state) });
    expect((await worker.durable.getRun(key))?.archivedAt).toEqual(expect.any(Number));
    expect(await archive.totals(tenantId)).toMatchObject({ runs: 1, costUsd: 0.0042, inputTokens: 120 });
    expect(worker.logs).toContainEqual(
      expect.objectContaining({ message: 'scheduled job done', job: 'archive-completed' }),
    );

    const costs = await worker.call(apiKey, 'GET', '/v1/analytics/costs?groupBy=model');
    expect(costs.status).toBe(200);
    expect(costs.body).toMatchObject({
      rows: [{ key: 'model-a', runs: 1, inputTokens: 120, outputTokens: 30, costUsd: 0.0042 }],
    });
  });
});
