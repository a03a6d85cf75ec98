/**
 * The hardening review's defects, each replayed over HTTP on the real engines (every case failed before its
 * fix): patch amplification, NUL bytes, bodies Express refuses, restore preconditions, a final `complete`,
 * one way to name a version, duplicated members and headers, and what reaches the logs.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { archiveCompleted } from '../../lib/lifecycle/archive-completed.ts';
import { createLogger } from '../../lib/observability/logger.ts';
import { type StrataFixture, startStrata } from '../support/strata.ts';

/** Planted in every body below: it must never show up in a log line. */
const MARKER = `agent-secret-${randomUUID()}`;
let logged = '';
const sink = new Writable({
  write(chunk, _encoding, done) {
    logged += String(chunk);
    done();
  },
});

let strata: StrataFixture;
let key: string;
let base: string;

beforeAll(async () => {
  // Whatever Express itself prints goes through console.error: capture it with our own log lines.
  for (const method of ['error', 'warn', 'log'] as const)
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      logged += `${args.map((a) => (a instanceof Error ? `${a.stack} ${JSON.stringify(a)}` : String(a))).join(' ')}\n`;
    });
  strata = await startStrata({ archive: true, log: createLogger('debug', sink) });
  key = (await strata.createTenant('enterprise')).apiKey;
  await new Promise<void>((resolve) => strata.server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(strata.server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  vi.restoreAllMocks();
  await new Promise((resolve) => strata?.server.close(resolve));
  await strata?.close();
});

interface RawAnswer {
  readonly status: number;
  readonly contentType: string;
  readonly text: string;
  readonly json: Record<string, unknown> | null;
}

/** A request exactly as given: duplicated headers (arrays), any bytes, no client-side fixing up. */
function raw(
  method: string,
  path: string,
  headers: Record<string, string | string[]>,
  body?: string | Buffer,
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}${path}`, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: Record<string, unknown> | null = null;
        try {
          json = JSON.parse(text) as Record<string, unknown>;
        } catch {}
        resolve({ status: res.statusCode ?? 0, contentType: res.headers['content-type'] ?? '', text, json });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

const auth = () => ({ authorization: `Bearer ${key}` });
const state = (data: unknown, extra: Record<string, unknown> = {}) => ({
  agentName: 'planner',
  status: 'running',
  step: 1,
  data,
  ...extra,
});

async function newRun(versions = 1, data: unknown = { n: 0 }): Promise<string> {
  const runId = `hard-${randomUUID()}`;
  for (let v = 0; v < versions; v++) {
    const res = await strata.put(key, runId, {
      state: state(v === 0 ? data : { n: v }),
      checkpoint: 'CRITICAL',
      expectedVersion: v,
    });
    expect(res.status).toBe(200);
  }
  return runId;
}

/** What a refused request must leave as it was. */
async function snapshot(runId: string) {
  const head = await strata.get(key, `/v1/runs/${runId}/state`);
  const history = await strata.get(key, `/v1/runs/${runId}/checkpoints`);
  const runs = await strata.get(key, '/v1/runs?limit=1000');
  return { head: [head.status, head.body.version, head.body.hash], history: history.body, runs: runs.body };
}

describe('1 · a patch cannot amplify itself', () => {
  it('refuses a chain of doubling copies fast, without holding the event loop or the memory', async () => {
    const runId = await newRun(1, { x: { s: 'a'.repeat(1000) } });
    const before = await snapshot(runId);
    const patch = Array.from({ length: 19 }, (_, i) => ({
      op: 'copy',
      from: '/data/x',
      path: `/data/x/c${i}`,
    }));
    const rss = process.memoryUsage().rss;
    const started = performance.now();
    const [refused, health] = await Promise.all([
      strata.put(key, runId, { baseVersion: 1, patch, checkpoint: 'CRITICAL' }),
      (async () => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        const t = performance.now();
        await strata.anonymous('GET', '/health/persistence', undefined, {});
        return performance.now() - t;
      })(),
    ]);
    expect(refused.status).toBe(413);
    expect(refused.body.error).toBe('too_large');
    // Before the fix: 24 s, a RangeError (500) and 2.8 GB; the health check waited all along.
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(health).toBeLessThan(1_000);
    expect(process.memoryUsage().rss - rss).toBeLessThan(256 * 2 ** 20);
    expect(await snapshot(runId)).toEqual(before);
  });

  it('still applies a patch whose values stay within the budget', async () => {
    const runId = await newRun(1, { x: { s: 'a'.repeat(1000) } });
    const patch = [
      { op: 'copy', from: '/data/x', path: '/data/y' },
      { op: 'add', path: '/data/z', value: 'b'.repeat(2000) },
    ];
    const res = await strata.put(key, runId, { baseVersion: 1, patch });
    expect(res.status).toBe(200);
    const head = await strata.get(key, `/v1/runs/${runId}/state`);
    expect(head.body.state.data.y).toEqual({ s: 'a'.repeat(1000) });
  });
});

describe('2 · characters Postgres cannot store are refused at the boundary', () => {
  it.each([
    ['a NUL in agentName', state({}, { agentName: 'a\u0000' })],
    ['a NUL in the model', state({}, { metadata: { model: 'm\u0000x' } })],
    ['a NUL in a tag', state({}, { metadata: { tags: ['ok', 'b\u0000'] } })],
    ['a lone surrogate in agentName', state({}, { agentName: 'a\ud800' })],
  ])('%s: 400 invalid_request, nothing stored or spooled', async (_name, bad) => {
    const runId = `hard-${randomUUID()}`;
    const res = await strata.put(key, runId, { state: bad, checkpoint: 'CRITICAL', expectedVersion: 0 });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_request');
    expect((await strata.get(key, `/v1/runs/${runId}/state`)).status).toBe(404);
  });

  it('refuses a NUL brought in by a patch, and on complete', async () => {
    const runId = await newRun();
    const patched = await strata.put(key, runId, {
      baseVersion: 1,
      patch: [{ op: 'replace', path: '/agentName', value: 'x\u0000' }],
    });
    expect(patched.status).toBe(400);
    const completed = await strata.post(key, `/v1/runs/${runId}/complete`, {
      status: 'completed',
      metadata: { model: 'm\u0000x' },
    });
    expect(completed.status).toBe(400);
    expect((await strata.get(key, `/v1/runs/${runId}/state`)).body.version).toBe(1);
  });

  it('keeps a NUL inside data: it is stored as an escape of the canonical JSON', async () => {
    const runId = `hard-${randomUUID()}`;
    const data = { text: 'before\u0000after' };
    const res = await strata.put(key, runId, {
      state: state(data),
      checkpoint: 'CRITICAL',
      expectedVersion: 0,
    });
    expect(res.body).toMatchObject({ durability: 'durable' });
    expect((await strata.get(key, `/v1/runs/${runId}/state?version=1`)).body.state.data).toEqual(data);
  });
});

describe('3 · bodies and paths Express refuses get JSON, and never reach a log line', () => {
  const json = { 'content-type': 'application/json' };
  it.each<[string, string, Record<string, string>, string | Buffer, number, string]>([
    ['invalid JSON', 'PUT', json, `{"state": ${MARKER}`, 400, 'invalid_request'],
    ['a bare string', 'PUT', json, `"${MARKER}"`, 400, 'invalid_request'],
    ['a bare number', 'PUT', json, '42', 400, 'invalid_request'],
    ['null', 'PUT', json, 'null', 400, 'invalid_request'],
    ['trailing garbage', 'PUT', json, `{"expectedVersion":0} ${MARKER}`, 400, 'invalid_request'],
    ['NaN', 'PUT', json, `{"expectedVersion":NaN,"m":"${MARKER}"}`, 400, 'invalid_request'],
    ['single quotes', 'PUT', json, `{'state':'${MARKER}'}`, 400, 'invalid_request'],
    ['whitespace only', 'PUT', json, '   \n ', 400, 'invalid_request'],
    [
      'a bogus Content-Encoding',
      'PUT',
      { ...json, 'content-encoding': 'gzip' },
      `{"m":"${MARKER}"}`,
      400,
      'invalid_request',
    ],
    [
      'an unknown charset',
      'PUT',
      { 'content-type': 'application/json; charset=latin1' },
      `{"m":"${MARKER}"}`,
      415,
      'unsupported_media_type',
    ],
    [
      'text/plain',
      'PUT',
      { 'content-type': 'text/plain' },
      `{"m":"${MARKER}"}`,
      415,
      'unsupported_media_type',
    ],
  ])('%s', async (_name, method, headers, body, status, code) => {
    const runId = await newRun();
    const before = await snapshot(runId);
    const res = await raw(method, `/v1/runs/${runId}/state`, { ...auth(), ...headers }, body);
    expect(res.status).toBe(status);
    expect(res.contentType).toMatch(/^application\/json/);
    expect(res.json).toMatchObject({ error: code, requestId: expect.any(String) });
    expect(await snapshot(runId)).toEqual(before);
    expect(logged).not.toContain(MARKER);
  });

  it('restore with "{", and a run id with a broken percent-escape', async () => {
    const runId = await newRun();
    const restore = await raw(
      'POST',
      `/v1/runs/${runId}/restore`,
      { ...auth(), 'content-type': 'application/json' },
      `{${MARKER}`,
    );
    expect([restore.status, restore.json?.error]).toEqual([400, 'invalid_request']);
    const path = await raw('GET', '/v1/runs/a%zz/state', auth());
    expect([path.status, path.json?.error]).toEqual([400, 'invalid_request']);
    expect(logged).not.toContain(MARKER);
  });
});

describe('4 · restore follows the rules of a save', () => {
  it('428 without a precondition, 409 when stale, 400 for garbage, 200 on the head', async () => {
    const runId = await newRun(3);
    const before = await snapshot(runId);
    const restore = (headers: Record<string, string>, body: unknown) =>
      raw(
        'POST',
        `/v1/runs/${runId}/restore`,
        { ...auth(), 'content-type': 'application/json', ...headers },
        JSON.stringify(body),
      );
    expect((await restore({}, { version: 1 })).json).toMatchObject({ error: 'precondition_required' });
    const stale = await restore({ 'if-match': '"1"' }, { version: 1 });
    expect([stale.status, stale.json?.error, stale.json?.currentVersion]).toEqual([
      409,
      'version_conflict',
      3,
    ]);
    expect((await restore({ 'if-match': 'garbage' }, { version: 1 })).status).toBe(400);
    expect((await restore({ 'if-match': '"3"' }, { version: 1, expectedVersion: 2 })).status).toBe(400);
    expect(await snapshot(runId)).toEqual(before);
    const ok = await restore({ 'if-match': '"3"' }, { version: 1 });
    expect([ok.status, ok.json?.version, ok.json?.restoredFrom]).toEqual([200, 4, 1]);
  });
});

describe('5 · complete is final and idempotent', () => {
  it('answers the first outcome again, refuses another one and any later save; index, archive and costs agree', async () => {
    const runId = await newRun(2);
    const path = `/v1/runs/${runId}/complete`;
    const first = await strata.post(key, path, { status: 'completed', metadata: { costUsd: 1.5 } });
    expect(first.status).toBe(200);
    expect(first.body.completion).toMatchObject({ status: 'completed', costUsd: 1.5 });
    const again = await strata.post(key, path, { status: 'completed', metadata: { costUsd: 1.5 } });
    expect([again.status, again.body.completion]).toEqual([200, first.body.completion]);
    const other = await strata.post(key, path, { status: 'failed' });
    expect([other.status, other.body.error, other.body.recorded?.costUsd]).toEqual([
      409,
      'completion_conflict',
      1.5,
    ]);

    const save = await strata.put(key, runId, { state: state({ late: true }), expectedVersion: 2 });
    expect([save.status, save.body.error, save.body.recorded?.status]).toEqual([
      409,
      'run_completed',
      'completed',
    ]);
    const durableSave = await strata.put(key, runId, {
      state: state({ late: true }),
      expectedVersion: 2,
      checkpoint: 'CRITICAL',
    });
    expect(durableSave.body.error).toBe('run_completed');
    const restore = await strata.post(key, `/v1/runs/${runId}/restore`, { version: 1, expectedVersion: 2 });
    expect(restore.body.error).toBe('run_completed');
    expect((await strata.get(key, `/v1/runs/${runId}/state`)).body.version).toBe(2);

    // Archived, then completed once more with another outcome: still refused, and every view says 1.5.
    await archiveCompleted(strata.lifecycle!, {
      batchSize: 100,
      leaseMs: 60_000,
      hotRetentionMs: 3_600_000,
      durableRetentionMs: 30 * 86_400_000,
    });
    const late = await strata.post(key, path, { status: 'failed', metadata: { costUsd: 1000 } });
    expect([late.status, late.body.recorded?.status, late.body.recorded?.costUsd]).toEqual([
      409,
      'completed',
      1.5,
    ]);
    const index = await strata.get(key, `/v1/runs?status=completed&limit=1000`);
    expect(index.body.runs.map((r: { runId: string }) => r.runId)).toContain(runId);
    const archived = await strata.archive!.getRun({ tenantId: strata.tenantOf(key), runId });
    expect(archived).toMatchObject({ status: 'completed' });
    const costs = await strata.get(key, '/v1/analytics/costs?groupBy=agent');
    expect(JSON.stringify(costs.body)).toContain('1.5');
  });
});

describe('6, 7 · one way to name a version; no duplicated members or headers', () => {
  it.each([
    [
      'expectedVersion and baseVersion with a state',
      { expectedVersion: 1, baseVersion: 1, state: state({}) },
    ],
    ['baseVersion with a state', { baseVersion: 1, state: state({}) }],
    [
      'a patch with an expectedVersion beside its baseVersion',
      { baseVersion: 1, expectedVersion: 1, patch: [{ op: 'add', path: '/data/a', value: 1 }] },
    ],
  ])('%s: 400', async (_name, body) => {
    const runId = await newRun();
    const res = await strata.put(key, runId, body);
    expect([res.status, res.body.error]).toEqual([400, 'invalid_request']);
  });

  it('If-Match that is not the patch base: 400', async () => {
    const runId = await newRun(2);
    const res = await strata.put(
      key,
      runId,
      { baseVersion: 2, patch: [{ op: 'add', path: '/data/a', value: 1 }] },
      { 'if-match': '"1"' },
    );
    expect(res.status).toBe(400);
  });

  it('a member named twice in one object: 400, even where the last one would be valid', async () => {
    const runId = await newRun();
    const body = `{"expectedVersion":0,"state":${JSON.stringify(state({}))},"expectedVersion":1}`;
    const res = await raw(
      'PUT',
      `/v1/runs/${runId}/state`,
      { ...auth(), 'content-type': 'application/json' },
      body,
    );
    expect([res.status, res.json?.error]).toEqual([400, 'invalid_request']);
    expect((await strata.get(key, `/v1/runs/${runId}/state`)).body.version).toBe(1);
  });

  it('two Authorization or If-Match headers: 400', async () => {
    const runId = await newRun();
    const body = JSON.stringify({ state: state({}) });
    const json = { 'content-type': 'application/json' };
    const twoKeys = await raw(
      'PUT',
      `/v1/runs/${runId}/state`,
      { ...json, 'if-match': '1', authorization: [`Bearer ${key}`, 'Bearer other'] },
      body,
    );
    expect([twoKeys.status, twoKeys.json?.error]).toEqual([400, 'invalid_request']);
    const twoVersions = await raw(
      'PUT',
      `/v1/runs/${runId}/state`,
      { ...json, ...auth(), 'if-match': ['"1"', '"2"'] },
      body,
    );
    expect([twoVersions.status, twoVersions.json?.error]).toEqual([400, 'invalid_request']);
  });
});

describe('11 · HEAD', () => {
  it('answers HEAD on a state like GET, without a body', async () => {
    const runId = await newRun(2);
    const res = await raw('HEAD', `/v1/runs/${runId}/state`, auth());
    expect(res.status).toBe(200);
    expect(res.text).toBe('');
    expect((await raw('HEAD', `/v1/runs/missing-${randomUUID()}/state`, auth())).status).toBe(404);
  });
});
