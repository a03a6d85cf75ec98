/**
 * GET /metrics as `npm start` serves it (scripts/start.ts: openTiers + stateApiFunction under functions-framework's
 * test server), on the real engines through the bridges: the exposition parses strictly, and saves and loads move
 * the request, save, load, failover and tier-latency series by what they did.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ff from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { Registry } from 'prom-client';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiKey, hashApiKey } from '../../lib/auth/api-keys.ts';
import { loadConfig } from '../../lib/config.ts';
import { silentLogger } from '../../lib/observability/logger.ts';
import { createMetrics, offMetrics } from '../../lib/observability/metrics.ts';
import { METRIC_CATALOG, METRIC_NAMES } from '../../lib/observability/metrics-catalog.ts';
import { stateApiFunction } from '../../lib/runtime/state-api-function.ts';
import { openTiers, type Tiers } from '../../lib/runtime/tiers.ts';
import { type Exposition, parseExposition } from '../support/prometheus-text.ts';
import { type RealEngines, startRealEngines } from '../support/real-engines.ts';

const STATE = '/v1/runs/:runId/state';
const body = (expectedVersion: number, checkpoint: 'AUTO' | 'CRITICAL', step: number) => ({
  checkpoint,
  expectedVersion,
  state: { agentName: 'metrics', status: 'running', step, data: { step } },
});

let engines: RealEngines;
let tiers: Tiers;
let dataDir: string;
let server: ReturnType<typeof getTestServer>;
let apiKey: string;

beforeAll(async () => {
  engines = await startRealEngines();
  dataDir = await mkdtemp(join(tmpdir(), 'strata-metrics-'));
  // What `npm start` does with these variables: production clients through the bridges, metrics at /metrics.
  const config = loadConfig({ ...engines.env, STRATA_DATA_DIR: dataDir, STRATA_ARCHIVE: 'none' });
  expect(config.metrics).toBe('prometheus');
  const metrics = createMetrics(config.metrics, { log: silentLogger, registry: new Registry() });
  tiers = await openTiers(config, silentLogger, metrics);
  const name = `state-api-metrics-${randomUUID()}`;
  ff.http(
    name,
    stateApiFunction(config, async () => tiers, silentLogger, metrics),
  );
  server = getTestServer(name);

  const tenantId = `t-${randomUUID()}`;
  apiKey = generateApiKey();
  await tiers.durable.createTenant({ id: tenantId, name: 'metrics', plan: 'mid' });
  await tiers.durable.addApiKey(tenantId, { keyHash: hashApiKey(apiKey), label: 'test' });
});

afterAll(async () => {
  await tiers?.close();
  await engines?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

const auth = () => ({ authorization: `Bearer ${apiKey}` });
const put = (runId: string, payload: object) =>
  request(server)
    .put(`/v1/runs/${runId}/state`)
    .set(auth())
    .set('content-type', 'application/json')
    .send(payload);
const get = (path: string) => request(server).get(path).set(auth());

async function scrape(): Promise<Exposition> {
  const res = await request(server).get('/metrics');
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
  return parseExposition(res.text);
}

describe('GET /metrics (STRATA_METRICS=prometheus)', () => {
  it('serves every catalogue metric with its HELP and TYPE; the gauges are read from the tiers', async () => {
    const m = await scrape();
    for (const name of METRIC_NAMES) {
      expect(m.family(name).type, name).toBe(METRIC_CATALOG[name].type);
      expect(m.family(name).help, name).toBe(METRIC_CATALOG[name].help);
    }
    expect(m.value('strata_breaker_state', { tier: 'hot' })).toBe(0);
    expect(m.value('strata_breaker_state', { tier: 'durable' })).toBe(0);
    expect(m.value('strata_spool_depth')).toBe(0);
    expect(m.value('strata_dead_letters')).toBe(0);
    expect(Number.isFinite(m.value('strata_outbox_depth'))).toBe(true);
    expect(m.value('strata_archive_lag_seconds')).toBe(0); // this database has no completed run yet
  });

  it('saves and loads move the request, save, load, failover and tier series by what they did', async () => {
    const before = await scrape();
    const runId = `r-${randomUUID()}`;
    expect((await put(runId, body(0, 'CRITICAL', 1))).body.durability).toBe('durable');
    expect((await put(runId, body(1, 'AUTO', 2))).body.durability).toBe('hot');
    expect((await put(runId, body(2, 'AUTO', 3))).body.durability).toBe('hot');
    expect((await put(runId, body(1, 'AUTO', 9))).status).toBe(409); // stale writer: refused
    expect((await get(`/v1/runs/${runId}/state`)).body.servedBy).toBe('hot');
    expect((await get(`/v1/runs/${runId}/state`)).body.servedBy).toBe('hot');
    expect((await get(`/v1/runs/${runId}/state?version=1`)).body.servedBy).toBe('durable'); // below hot
    expect((await get(`/v1/runs/r-${randomUUID()}/state`)).status).toBe(404);
    expect((await request(server).get('/v1/nowhere')).status).toBe(404);
    const after = await scrape();
    const moved = (name: string, labels: Record<string, string>) =>
      after.valueOr0(name, labels) - before.valueOr0(name, labels);

    const requests = 'strata_requests_total';
    expect(moved(requests, { route: STATE, method: 'PUT', status: '200' })).toBe(3);
    expect(moved(requests, { route: STATE, method: 'PUT', status: '409' })).toBe(1);
    expect(moved(requests, { route: STATE, method: 'GET', status: '200' })).toBe(3);
    expect(moved(requests, { route: STATE, method: 'GET', status: '404' })).toBe(1);
    expect(moved(requests, { route: 'unmatched', method: 'GET', status: '404' })).toBe(1);
    // The scrape is not a state-API request.
    expect(after.family(requests).samples.some((s) => s.labels.route === '/metrics')).toBe(false);
    const latency = 'strata_request_duration_seconds';
    expect(moved(`${latency}_count`, { route: STATE, method: 'PUT' })).toBe(4);
    expect(moved(`${latency}_count`, { route: STATE, method: 'GET' })).toBe(4);
    expect(moved(`${latency}_sum`, { route: STATE, method: 'PUT' })).toBeGreaterThan(0);

    expect(moved('strata_saves_total', { durability: 'durable', outcome: 'acknowledged' })).toBe(1);
    expect(moved('strata_saves_total', { durability: 'hot', outcome: 'acknowledged' })).toBe(2);
    expect(moved('strata_saves_total', { durability: 'none', outcome: 'refused' })).toBe(1);
    expect(moved('strata_saves_total', { durability: 'none', outcome: 'failed' })).toBe(0);
    expect(moved('strata_loads_total', { served_by: 'hot' })).toBe(2);
    expect(moved('strata_loads_total', { served_by: 'durable' })).toBe(1);
    expect(moved('strata_loads_total', { served_by: 'none' })).toBe(1);
    expect(moved('strata_failover_total', { operation: 'load', tier: 'hot' })).toBe(1);
    expect(moved('strata_failover_total', { operation: 'save', tier: 'hot' })).toBe(0);
    expect(moved('strata_failover_total', { operation: 'save', tier: 'durable' })).toBe(0);

    // Tier calls: every save is one Lua call at least (a new run costs a retry), the CRITICAL one a commit.
    const tier = 'strata_tier_call_duration_seconds';
    expect(moved(`${tier}_count`, { tier: 'hot', operation: 'save', outcome: 'ok' })).toBeGreaterThanOrEqual(
      4,
    );
    expect(
      moved(`${tier}_count`, { tier: 'durable', operation: 'commit', outcome: 'ok' }),
    ).toBeGreaterThanOrEqual(1);
    expect(moved(`${tier}_sum`, { tier: 'hot', operation: 'save', outcome: 'ok' })).toBeGreaterThan(0);
    expect(moved(`${tier}_count`, { tier: 'hot', operation: 'save', outcome: 'error' })).toBe(0);
  });

  it('archive lag counts from the oldest completed run that is not archived', async () => {
    const runId = `r-${randomUUID()}`;
    expect((await put(runId, body(0, 'CRITICAL', 1))).status).toBe(200);
    const complete = await request(server)
      .post(`/v1/runs/${runId}/complete`)
      .set(auth())
      .set('content-type', 'application/json')
      .send({ status: 'completed' });
    expect(complete.status).toBe(200);
    const completedAt = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const lag = (await scrape()).value('strata_archive_lag_seconds') ?? 0;
    expect(lag).toBeGreaterThanOrEqual(1);
    expect(lag).toBeLessThan((Date.now() - completedAt) / 1000 + 5);
  });
});

describe('GET /metrics without prometheus metrics', () => {
  it('is a 404 route_not_found, as before metrics existed', async () => {
    const config = loadConfig({ ...engines.env, STRATA_DATA_DIR: dataDir, STRATA_METRICS: 'off' });
    const name = `state-api-off-${randomUUID()}`;
    ff.http(
      name,
      stateApiFunction(config, async () => tiers, silentLogger, offMetrics),
    );
    const res = await request(getTestServer(name)).get('/metrics');
    expect(res.status).toBe(404);
    expect(res.body.error).toBe('route_not_found');
  });
});
