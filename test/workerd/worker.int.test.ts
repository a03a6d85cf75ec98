/**
 * The state API and the lifecycle jobs as a module Worker in workerd (Miniflare), on the real engines: the
 * bundle of scripts/build-worker.ts → @upstash/redis → Upstash bridge → Redis, and the Neon driver over HTTP →
 * Neon proxy `/sql` → a scratch database on Postgres. Faults are injected in workerd's outbound fetch.
 */
import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { type Request as MfRequest, Response as MfResponse, Miniflare, fetch as mfFetch } from 'miniflare';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startUpstashBridge, type UpstashBridge } from '../../infra/upstash-bridge/index.ts';
import { generateApiKey, hashApiKey } from '../../lib/auth/api-keys.ts';
import { contentHash } from '../../lib/model/canonical.ts';
import { createNeonDurableTier } from '../../lib/tiers/durable/neon.ts';
import type { PlanName } from '../../lib/tiers/durable/port.ts';
import type { HotTier } from '../../lib/tiers/hot/port.ts';
import { createUpstashHotTier } from '../../lib/tiers/hot/upstash.ts';
import type { RunKey } from '../../lib/tiers/types.ts';
import {
  buildWorker,
  WORKER_COMPATIBILITY_DATE,
  WORKER_COMPATIBILITY_FLAGS,
  type WorkerBundle,
} from '../../scripts/build-worker.ts';
import { type NeonDatabase, startNeonDatabase } from '../support/neon-database.ts';

/**
 * The machine's Redis, in a logical database of this file's own: the `drain-outbox` job fired here drains the
 * whole outbox it sees, and must not take other suites' entries (they share database 0).
 */
const REDIS_URL = 'redis://127.0.0.1:6379/13';
/** docs/decisions.md, "workerd": the built-ins the bundle may import (under nodejs_compat). */
const DOCUMENTED_BUILTINS = ['node:crypto', 'node:zlib'];

let bundle: WorkerBundle;
let database: NeonDatabase;
let bridge: UpstashBridge;
let hot: HotTier;
let durable: ReturnType<typeof createNeonDurableTier>;
let mf: Miniflare;
const logs: Record<string, unknown>[] = [];
const runsToDelete: RunKey[] = [];
/** While true, workerd's every request to the Upstash bridge is answered 503, as a failing Upstash would. */
let hotDown = false;
let refusedHotCalls = 0;

function collectLines(stream: Readable): void {
  let buffered = '';
  stream.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // workerd's own lines (start-up errors, uncaught exceptions) are not JSON: show them.
        process.stderr.write(`workerd: ${line}\n`);
      }
    }
  });
}

beforeAll(async () => {
  bundle = await buildWorker();
  database = await startNeonDatabase('strata_workerd');
  bridge = await startUpstashBridge({ redisUrl: REDIS_URL });
  hot = createUpstashHotTier({ url: bridge.url, token: bridge.token, retry: false, timeoutMs: 5_000 });
  durable = createNeonDurableTier({ connectionString: database.url, localProxy: database.localProxy });
  const bridgeHost = new URL(bridge.url).host;
  mf = new Miniflare({
    modules: [{ type: 'ESModule', path: 'strata-worker.mjs', contents: bundle.code }],
    compatibilityDate: WORKER_COMPATIBILITY_DATE,
    compatibilityFlags: [...WORKER_COMPATIBILITY_FLAGS],
    bindings: {
      UPSTASH_REDIS_REST_URL: bridge.url,
      UPSTASH_REDIS_REST_TOKEN: bridge.token,
      DATABASE_URL: database.url,
      NEON_LOCAL_PROXY: database.localProxy,
      STRATA_ARCHIVE: 'none',
      // Generous on a shared 2-core host: a slow answer must not pass for a dead tier here.
      STRATA_HOT_TIMEOUT_MS: '2000',
      STRATA_DURABLE_TIMEOUT_MS: '5000',
    },
    outboundService: async (request: MfRequest) => {
      if (hotDown && new URL(request.url).host === bridgeHost) {
        refusedHotCalls++;
        return new MfResponse(JSON.stringify({ error: 'ERR service unavailable (injected)' }), {
          status: 503,
          headers: { 'content-type': 'application/json' },
        });
      }
      return mfFetch(request);
    },
    handleRuntimeStdio(stdout: Readable, stderr: Readable) {
      collectLines(stdout);
      collectLines(stderr);
    },
  });
  await mf.ready;
});

/** Teardown never hangs the suite: each step gets a bounded moment. */
const bounded = (work: Promise<unknown> | undefined, ms = 5_000) =>
  Promise.race([work?.catch(() => {}), new Promise((resolve) => setTimeout(resolve, ms).unref())]);

afterAll(async () => {
  if (process.env.STRATA_SHOW_WORKER_LOGS) console.log(logs);
  await bounded(mf?.dispose());
  await bounded(Promise.allSettled(runsToDelete.map((key) => hot.delete(key))));
  await bounded(hot?.close());
  await bounded(durable?.close());
  await bounded(bridge?.close());
  await bounded(database?.close(), 10_000);
});

async function createTenant(plan: PlanName): Promise<{ tenantId: string; apiKey: string }> {
  // As `npm run strata -- tenants create` does (scripts/cli.ts): a tenant, then a key stored as its hash.
  const tenant = await durable.createTenant({ id: `t_${randomUUID()}`, name: `workerd ${plan}`, plan });
  const apiKey = generateApiKey();
  await durable.addApiKey(tenant.id, { keyHash: hashApiKey(apiKey), label: 'created with the CLI' });
  return { tenantId: tenant.id, apiKey };
}

const state = (step: number) => ({
  agentName: 'planner',
  status: 'running',
  step,
  data: { step, note: 'é' },
});

async function call(apiKey: string, method: string, path: string, body?: unknown) {
  const response = await mf.dispatchFetch(`http://strata.worker${path}`, {
    method,
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : null) as Record<string, unknown> };
}

/** The Worker's handlers as Miniflare exposes them (its Fetcher type comes from @cloudflare/workers-types, not installed). */
interface WorkerStub {
  scheduled(options: { cron: string }): Promise<{ outcome: string; noRetry: boolean }>;
}
const worker = async () => (await mf.getWorker()) as unknown as WorkerStub;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the Worker in workerd', () => {
  let mid: { tenantId: string; apiKey: string };
  let runId: string;
  let key: RunKey;
  const first = state(1);
  const second = state(2);

  beforeAll(async () => {
    mid = await createTenant('mid');
    runId = `run-${randomUUID()}`;
    key = { tenantId: mid.tenantId, runId };
    runsToDelete.push(key);
  });

  it('commits a CRITICAL save in Postgres and loads it back from the hot tier', async () => {
    const saved = await call(mid.apiKey, 'PUT', `/v1/runs/${runId}/state`, {
      state: first,
      checkpoint: 'CRITICAL',
      expectedVersion: 0,
    });
    expect(saved).toEqual({
      status: 200,
      body: { runId, version: 1, hash: contentHash(first), durability: 'durable' },
    });
    expect((await durable.loadVersion(key, 1))?.hash).toBe(contentHash(first));
    expect((await hot.load(key))?.hash).toBe(contentHash(first));

    const loaded = await call(mid.apiKey, 'GET', `/v1/runs/${runId}/state`);
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
    hotDown = true;
    try {
      const loaded = await call(mid.apiKey, 'GET', `/v1/runs/${runId}/state`);
      expect(loaded.status).toBe(200);
      expect(loaded.body).toMatchObject({
        version: 1,
        hash: contentHash(first),
        servedBy: 'durable',
        state: first,
      });

      const saved = await call(mid.apiKey, 'PUT', `/v1/runs/${runId}/state`, {
        state: second,
        checkpoint: 'CRITICAL',
        expectedVersion: 1,
      });
      expect(saved).toEqual({
        status: 200,
        body: { runId, version: 2, hash: contentHash(second), durability: 'durable' },
      });
    } finally {
      hotDown = false;
    }
    expect(refusedHotCalls).toBeGreaterThan(0);
    expect((await durable.loadVersion(key, 2))?.hash).toBe(contentHash(second));
    // Redis never saw version 2: the hot copy is behind until a load promotes it or the check repairs it.
    expect((await hot.load(key))?.version).toBe(1);
  });

  it('repairs the stale hot copy when the consistency-check cron fires', async () => {
    // The hot tier's circuit breaker may be open after the outage: past its 500 ms one trial call goes through.
    await sleep(700);
    const outcome = await (await worker()).scheduled({ cron: '*/10 * * * *' });
    expect(outcome.outcome).toBe('ok');
    const repaired = await hot.load(key);
    expect({ version: repaired?.version, hash: repaired?.hash }).toEqual({
      version: 2,
      hash: contentHash(second),
    });
    expect(logs).toContainEqual(
      expect.objectContaining({ severity: 'INFO', message: 'scheduled job done', job: 'consistency-check' }),
    );
  });

  it('drains the outbox on the minute cron: an AUTO save of the early plan becomes durable', async () => {
    const early = await createTenant('early');
    const autoRun = `run-${randomUUID()}`;
    const autoKey = { tenantId: early.tenantId, runId: autoRun };
    runsToDelete.push(autoKey);
    const s = state(1);
    const saved = await call(early.apiKey, 'PUT', `/v1/runs/${autoRun}/state`, {
      state: s,
      expectedVersion: 0,
    });
    expect(saved.body).toMatchObject({ version: 1, durability: 'hot' });
    expect((await durable.getRun(autoKey))?.durableVersion ?? 0).toBe(0);
    const pending = await hot.outboxBatch({ savedBefore: Number.POSITIVE_INFINITY, limit: 1_000 });
    expect(pending.map((entry) => entry.key)).toContainEqual(autoKey);

    // drain-outbox leaves saves younger than 5 s for its next pass (an agent is likely to save again).
    const savedAt = (await hot.load(autoKey))!.savedAt;
    await sleep(Math.max(0, savedAt + 5_300 - Date.now()));
    const outcome = await (await worker()).scheduled({ cron: '* * * * *' });
    expect(outcome.outcome).toBe('ok');

    expect((await durable.getRun(autoKey))?.durableVersion).toBe(1);
    expect((await durable.loadVersion(autoKey, 1))?.hash).toBe(contentHash(s));
    const left = await hot.outboxBatch({ savedBefore: Number.POSITIVE_INFINITY, limit: 1_000 });
    expect(left.map((entry) => entry.key)).not.toContainEqual(autoKey);
    // Without an archive the minute's other job is skipped, and says so.
    expect(logs).toContainEqual(
      expect.objectContaining({ severity: 'WARNING', job: 'archive-completed', cron: '* * * * *' }),
    );
  });

  it('fails a trigger whose cron names no job', async () => {
    const outcome = await (await worker()).scheduled({ cron: '5 4 * * *' });
    expect(outcome.outcome).toBe('exception');
  });
});

describe('the Worker bundle', () => {
  it('imports no Node built-in beyond those docs/decisions.md lists, and needs nodejs_compat for them', async () => {
    expect([...bundle.nodeBuiltins.keys()].filter((name) => !DOCUMENTED_BUILTINS.includes(name))).toEqual([]);
    expect(bundle.inputs.some((input) => input.includes('node_modules/ws/'))).toBe(false);
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
});
