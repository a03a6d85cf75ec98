/**
 * The state API and the lifecycle jobs as a module Worker in workerd (Miniflare), on the real engines through
 * the bridges (harness.ts), with faults injected in workerd's outbound fetch. No archive here
 * (STRATA_ARCHIVE=none); worker-archive.int.test.ts adds ClickHouse.
 */
import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { Miniflare } from 'miniflare';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contentHash } from '../../lib/model/canonical.ts';
import type { RunKey } from '../../lib/tiers/types.ts';
import { WORKER_COMPATIBILITY_DATE, WORKER_COMPATIBILITY_FLAGS } from '../../scripts/build-worker.ts';
import {
  bounded,
  collectJsonLines,
  startWorkerHarness,
  WORKER_REDIS_DATABASES,
  type WorkerHarness,
} from './harness.ts';

/** docs/decisions.md, "workerd": the built-ins the bundle may import (under nodejs_compat). */
const DOCUMENTED_BUILTINS = ['node:crypto', 'node:zlib'];

let worker: WorkerHarness;

beforeAll(async () => {
  worker = await startWorkerHarness({ redisDatabase: WORKER_REDIS_DATABASES.worker });
});
afterAll(async () => {
  if (process.env.STRATA_SHOW_WORKER_LOGS) console.log(worker?.logs);
  await worker?.close();
});

const state = (step: number) => ({
  agentName: 'planner',
  status: 'running',
  step,
  data: { step, note: 'é' },
});
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the Worker in workerd', () => {
  let mid: { tenantId: string; apiKey: string };
  let runId: string;
  let key: RunKey;
  const first = state(1);
  const second = state(2);

  beforeAll(async () => {
    mid = await worker.createTenant('mid');
    runId = `run-${randomUUID()}`;
    key = { tenantId: mid.tenantId, runId };
    worker.forget(key);
  });

  it('commits a CRITICAL save in Postgres and loads it back from the hot tier', async () => {
    const saved = await worker.call(mid.apiKey, 'PUT', `/v1/runs/${runId}/state`, {
      state: first,
      checkpoint: 'CRITICAL',
      expectedVersion: 0,
    });
    expect(saved).toEqual({
      status: 200,
      body: { runId, version: 1, hash: contentHash(first), durability: 'durable' },
    });
    expect((await worker.durable.loadVersion(key, 1))?.hash).toBe(contentHash(first));
    expect((await worker.hot.load(key))?.hash).toBe(contentHash(first));

    const loaded = await worker.call(mid.apiKey, 'GET', `/v1/runs/${runId}/state`);
    expect(loaded.status).toBe(200);
    expect(loaded.body).toMatchObject({
      runId,
      version: 1,
      hash: contentHash(first),
      servedBy: 'hot',
      state: first,
    });
  });

  it('serves loads from Postgres and still commits saves while every Upstash call answers 503', async () => {
    worker.setHotDown(true);
    try {
      const loaded = await worker.call(mid.apiKey, 'GET', `/v1/runs/${runId}/state`);
      expect(loaded.status).toBe(200);
      expect(loaded.body).toMatchObject({
        version: 1,
        hash: contentHash(first),
        servedBy: 'durable',
        state: first,
      });

      const saved = await worker.call(mid.apiKey, 'PUT', `/v1/runs/${runId}/state`, {
        state: second,
        checkpoint: 'CRITICAL',
        expectedVersion: 1,
      });
      expect(saved).toEqual({
        status: 200,
        body: { runId, version: 2, hash: contentHash(second), durability: 'durable' },
      });
    } finally {
      worker.setHotDown(false);
    }
    expect(worker.refusedHotCalls).toBeGreaterThan(0);
    expect((await worker.durable.loadVersion(key, 2))?.hash).toBe(contentHash(second));
    // Redis never saw version 2: the hot copy is behind until a load promotes it or the check repairs it.
    expect((await worker.hot.load(key))?.version).toBe(1);
  });

  it('repairs the stale hot copy when the consistency-check cron fires', async () => {
    // The hot tier's circuit breaker may be open after the outage: past its 500 ms one trial call goes through.
    await sleep(700);
    expect((await worker.scheduled('*/10 * * * *')).outcome).toBe('ok');
    const repaired = await worker.hot.load(key);
    expect({ version: repaired?.version, hash: repaired?.hash }).toEqual({
      version: 2,
      hash: contentHash(second),
    });
    expect(worker.logs).toContainEqual(
      expect.objectContaining({ severity: 'INFO', message: 'scheduled job done', job: 'consistency-check' }),
    );
  });

  it('drains the outbox on the minute cron: an AUTO save of the early plan becomes durable', async () => {
    const early = await worker.createTenant('early');
    const autoRun = `run-${randomUUID()}`;
    const autoKey = { tenantId: early.tenantId, runId: autoRun };
    worker.forget(autoKey);
    const s = state(1);
    const saved = await worker.call(early.apiKey, 'PUT', `/v1/runs/${autoRun}/state`, {
      state: s,
      expectedVersion: 0,
    });
    expect(saved.body).toMatchObject({ version: 1, durability: 'hot' });
    expect((await worker.durable.getRun(autoKey))?.durableVersion ?? 0).toBe(0);
    const pending = await worker.hot.outboxBatch({ savedBefore: Number.POSITIVE_INFINITY, limit: 1_000 });
    expect(pending.map((entry) => entry.key)).toContainEqual(autoKey);

    // drain-outbox leaves saves younger than 5 s for its next pass (an agent is likely to save again).
    const savedAt = (await worker.hot.load(autoKey))!.savedAt;
    await sleep(Math.max(0, savedAt + 5_300 - Date.now()));
    expect((await worker.scheduled('* * * * *')).outcome).toBe('ok');

    expect((await worker.durable.getRun(autoKey))?.durableVersion).toBe(1);
    expect((await worker.durable.loadVersion(autoKey, 1))?.hash).toBe(contentHash(s));
    const left = await worker.hot.outboxBatch({ savedBefore: Number.POSITIVE_INFINITY, limit: 1_000 });
    expect(left.map((entry) => entry.key)).not.toContainEqual(autoKey);
    // Without an archive the minute's other job is skipped, and says so.
    expect(worker.logs).toContainEqual(
      expect.objectContaining({ severity: 'WARNING', job: 'archive-completed', cron: '* * * * *' }),
    );
  });

  it('fails a trigger whose cron names no job', async () => {
    expect((await worker.scheduled('5 4 * * *')).outcome).toBe('exception');
  });
});

describe('the Worker bundle', () => {
  it('imports no Node built-in beyond those docs/decisions.md lists, and needs nodejs_compat for them', async () => {
    const { bundle } = worker;
    expect([...bundle.nodeBuiltins.keys()].filter((name) => !DOCUMENTED_BUILTINS.includes(name))).toEqual([]);
    expect(bundle.inputs.filter((input) => /node_modules\/(ws|pg|chdb)\//.test(input))).toEqual([]);
    let output = '';
    const bare = new Miniflare({
      modules: [{ type: 'ESModule', path: 'strata-worker.mjs', contents: bundle.code }],
      compatibilityDate: WORKER_COMPATIBILITY_DATE,
      handleRuntimeStdio(stdout: Readable, stderr: Readable) {
        for (const stream of [stdout, stderr]) {
          stream.setEncoding('utf8').on('data', (chunk: string) => {
            output += chunk;
          });
        }
      },
    });
    try {
      await expect(bare.ready).rejects.toThrow(/failed to start/);
      // workerd names the first built-in it cannot resolve.
      expect(output).toMatch(/No such module "node:(crypto|zlib)"/);
    } finally {
      await bounded(bare.dispose());
    }
  });

  it('refuses a backend that cannot run in a Worker at its first request, naming the variable', async () => {
    const logs: Record<string, unknown>[] = [];
    const misconfigured = new Miniflare({
      modules: [{ type: 'ESModule', path: 'strata-worker.mjs', contents: worker.bundle.code }],
      compatibilityDate: WORKER_COMPATIBILITY_DATE,
      compatibilityFlags: [...WORKER_COMPATIBILITY_FLAGS],
      // No DATABASE_URL: the configuration falls back to PGlite, which a Worker cannot open.
      bindings: {
        UPSTASH_REDIS_REST_URL: 'http://127.0.0.1:9',
        UPSTASH_REDIS_REST_TOKEN: 't',
        STRATA_ARCHIVE: 'none',
      },
      handleRuntimeStdio(stdout: Readable, stderr: Readable) {
        collectJsonLines(stdout, logs);
        collectJsonLines(stderr, logs);
      },
    });
    try {
      const response = await misconfigured.dispatchFetch('http://strata.worker/health/persistence');
      expect(response.status).toBe(500);
      expect(await response.json()).toMatchObject({ error: 'internal' });
      // stdio arrives on its own pipe: give it a bounded moment.
      for (let i = 0; i < 20 && !logs.some((record) => record.severity === 'ERROR'); i++) await sleep(100);
      expect(logs).toContainEqual(
        expect.objectContaining({
          severity: 'ERROR',
          err: expect.objectContaining({
            type: 'ConfigError',
            message: expect.stringContaining('DATABASE_URL'),
          }),
        }),
      );
    } finally {
      await bounded(misconfigured.dispose());
    }
  });
});
