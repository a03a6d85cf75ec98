/** Every bad input we could think of: a 4xx JSON error with a stable code, and nothing changed in any tier. */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StrataFixture, startStrata } from '../support/strata.ts';

let strata: StrataFixture;
let key: string;
const runId = `bad-${randomUUID()}`;
const good = { agentName: 'planner', status: 'running', step: 1, data: { ok: true } };

beforeAll(async () => {
  strata = await startStrata({ env: { STRATA_MAX_BODY_BYTES: '65536', STRATA_MAX_DEPTH: '16' } });
  key = (await strata.createTenant('enterprise')).apiKey;
  const first = await strata.put(key, runId, { state: good, expectedVersion: 0 });
  expect(first.status).toBe(200);
});
afterAll(async () => strata?.close());

/** Head version, hash, history length and run count: what must not move. */
async function snapshot() {
  const head = await strata.get(key, `/v1/runs/${runId}/state`);
  const history = await strata.get(key, `/v1/runs/${runId}/checkpoints`);
  const runs = await strata.get(key, '/v1/runs?limit=1000');
  return {
    version: head.body.version,
    hash: head.body.hash,
    history: history.body.checkpoints.length,
    runs: runs.body.runs.length,
  };
}

const deep = (levels: number): unknown => (levels === 0 ? 1 : { d: deep(levels - 1) });

const saves: Array<[string, unknown, number, string]> = [
  ['no body fields', {}, 400, 'invalid_request'],
  [
    'state and patch together',
    { state: good, patch: [{ op: 'remove', path: '/data' }], baseVersion: 1, expectedVersion: 1 },
    400,
    'invalid_request',
  ],
  [
    'patch without baseVersion',
    { patch: [{ op: 'remove', path: '/data' }], expectedVersion: 1 },
    400,
    'invalid_request',
  ],
  [
    'unknown top-level field',
    { state: good, expectedVersion: 1, tenantId: 'someone-else' },
    400,
    'invalid_request',
  ],
  ['unknown state field', { state: { ...good, secret: 1 }, expectedVersion: 1 }, 400, 'invalid_request'],
  [
    'unknown metadata field',
    { state: { ...good, metadata: { cost: 1 } }, expectedVersion: 1 },
    400,
    'invalid_request',
  ],
  [
    'missing agentName',
    { state: { ...good, agentName: undefined }, expectedVersion: 1 },
    400,
    'invalid_request',
  ],
  ['empty agentName', { state: { ...good, agentName: '' }, expectedVersion: 1 }, 400, 'invalid_request'],
  ['bad status', { state: { ...good, status: 'sleeping' }, expectedVersion: 1 }, 400, 'invalid_request'],
  ['negative step', { state: { ...good, step: -1 }, expectedVersion: 1 }, 400, 'invalid_request'],
  ['fractional step', { state: { ...good, step: 1.5 }, expectedVersion: 1 }, 400, 'invalid_request'],
  ['step as string', { state: { ...good, step: '2' }, expectedVersion: 1 }, 400, 'invalid_request'],
  [
    'negative cost',
    { state: { ...good, metadata: { costUsd: -1 } }, expectedVersion: 1 },
    400,
    'invalid_request',
  ],
  [
    'bad parent id',
    { state: { ...good, parentRunId: '../etc' }, expectedVersion: 1 },
    400,
    'invalid_request',
  ],
  [
    'bad checkpoint type',
    { state: good, checkpoint: 'SOMETIMES', expectedVersion: 1 },
    400,
    'invalid_request',
  ],
  ['negative expectedVersion', { state: good, expectedVersion: -1 }, 400, 'invalid_request'],
  ['zero ttl', { state: good, expectedVersion: 1, ttlSeconds: 0 }, 400, 'invalid_request'],
  [
    'unknown patch op',
    { patch: [{ op: 'merge', path: '/data', value: 1 }], baseVersion: 1 },
    400,
    'invalid_request',
  ],
  [
    'patch op with a stray member',
    { patch: [{ op: 'remove', path: '/data', value: 1 }], baseVersion: 1 },
    400,
    'invalid_request',
  ],
  [
    'patch path not a pointer',
    { patch: [{ op: 'replace', path: 'data', value: 1 }], baseVersion: 1 },
    400,
    'invalid_request',
  ],
  [
    'patch to a missing path',
    { patch: [{ op: 'replace', path: '/data/nope/deeper', value: 1 }], baseVersion: 1 },
    400,
    'invalid_request',
  ],
  ['empty patch', { patch: [], baseVersion: 1 }, 400, 'invalid_request'],
  [
    'patch of the prototype',
    { patch: [{ op: 'add', path: '/__proto__/polluted', value: 1 }], baseVersion: 1 },
    400,
    'invalid_request',
  ],
  [
    'state nested too deep',
    { state: { ...good, data: deep(40) }, expectedVersion: 1 },
    400,
    'invalid_request',
  ],
  [
    'body over the byte limit',
    { state: { ...good, data: 'x'.repeat(70_000) }, expectedVersion: 1 },
    413,
    'too_large',
  ],
  ['no expected version', { state: good }, 428, 'precondition_required'],
  ['stale expected version', { state: good, expectedVersion: 0 }, 409, 'version_conflict'],
  ['expected version ahead of head', { state: good, expectedVersion: 7 }, 409, 'version_conflict'],
  [
    'patch against a version that does not exist',
    { patch: [{ op: 'remove', path: '/data' }], baseVersion: 9 },
    409,
    'version_conflict',
  ],
  ['a JSON array body', [good], 400, 'invalid_request'],
];

describe('bad input answers 4xx and changes nothing', () => {
  it.each(saves)('PUT state: %s', async (_name, body, status, code) => {
    const before = await snapshot();
    const res = await strata.put(key, runId, body);
    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toMatch(/application\/json/);
    expect(res.body.error).toBe(code);
    expect(typeof res.body.message).toBe('string');
    expect(await snapshot()).toEqual(before);
  });

  it.each([
    ['not JSON at all', '{"state": nope', 'application/json'],
    ['JSON as text/plain', JSON.stringify({ state: good, expectedVersion: 1 }), 'text/plain'],
    ['empty body', '', 'application/json'],
  ])('PUT state with a raw body: %s', async (_name, raw, type) => {
    const before = await snapshot();
    const res = await strata.raw('PUT', key, `/v1/runs/${runId}/state`, raw, { 'content-type': type });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(await snapshot()).toEqual(before);
  });

  it.each([
    ['If-Match not a number', { 'if-match': 'W/"abc"' }, 400, 'invalid_request'],
    ['If-Match disagreeing with expectedVersion', { 'if-match': '"0"' }, 400, 'invalid_request'],
    ['empty Idempotency-Key', { 'idempotency-key': '' }, 400, 'invalid_request'],
    ['Idempotency-Key too long', { 'idempotency-key': 'k'.repeat(300) }, 400, 'invalid_request'],
  ])('PUT state with a bad header: %s', async (_name, headers, status, code) => {
    const before = await snapshot();
    const res = await strata.put(
      key,
      runId,
      { state: good, expectedVersion: 1 },
      headers as Record<string, string>,
    );
    expect(res.status).toBe(status);
    expect(res.body.error).toBe(code);
    expect(await snapshot()).toEqual(before);
  });

  it.each([
    ['no Authorization', undefined],
    ['not a bearer token', 'Basic dXNlcjpwYXNz'],
    ['an unknown key', 'Bearer sk_strata_not-a-real-key'],
  ])('refuses %s with 401 on every route', async (_name, authorization) => {
    const before = await snapshot();
    const headers: Record<string, string> = authorization ? { authorization } : {};
    for (const [method, path, body] of [
      ['PUT', `/v1/runs/${runId}/state`, { state: good, expectedVersion: 1 }],
      ['GET', `/v1/runs/${runId}/state`, undefined],
      ['GET', `/v1/runs/${runId}/checkpoints`, undefined],
      ['POST', `/v1/runs/${runId}/restore`, { version: 1 }],
      ['POST', `/v1/runs/${runId}/complete`, { status: 'completed' }],
      ['GET', '/v1/runs', undefined],
      ['DELETE', `/v1/runs/${runId}`, undefined],
    ] as const) {
      const res = await strata.anonymous(method, path, body, headers);
      expect(res.status, `${method} ${path}`).toBe(401);
      expect(res.body.error).toBe('unauthorized');
    }
    expect(await snapshot()).toEqual(before);
  });

  it.each([
    ['a run id with a space', '/v1/runs/a%20b/state', 400, 'invalid_request'],
    ['a run id that is too long', `/v1/runs/${'r'.repeat(200)}/state`, 400, 'invalid_request'],
    ['a version of zero', `/v1/runs/${runId}/state?version=0`, 400, 'invalid_request'],
    ['a version that is not a number', `/v1/runs/${runId}/state?version=two`, 400, 'invalid_request'],
    ['an unknown query parameter', `/v1/runs/${runId}/state?tenant=x`, 400, 'invalid_request'],
    ['a missing version', `/v1/runs/${runId}/state?version=99`, 404, 'not_found'],
    ['a limit over 1000', `/v1/runs/${runId}/checkpoints?limit=5000`, 400, 'invalid_request'],
    ['a repeated parameter', `/v1/runs/${runId}/checkpoints?limit=1&limit=2`, 400, 'invalid_request'],
    ['an unknown status filter', '/v1/runs?status=zombie', 400, 'invalid_request'],
    ['an unknown route', '/v1/nothing-here', 404, 'route_not_found'],
  ])('GET with %s', async (_name, path, status, code) => {
    const res = await strata.get(key, path);
    expect(res.status).toBe(status);
    expect(res.body.error).toBe(code);
  });

  it('refuses broken percent-encoding in the path with 400', async () => {
    // functions-framework's Express router decodes the path before Strata sees it and answers 400 itself
    // (not JSON); the router's own check covers other runtimes (test/unit/http.test.ts).
    const res = await strata.get(key, '/v1/runs/%E0%A4%A/state');
    expect(res.status).toBe(400);
  });

  it('refuses a method a route does not have with 405', async () => {
    const res = await strata.req('PATCH', key, `/v1/runs/${runId}/state`);
    expect(res.status).toBe(405);
    expect(res.body.error).toBe('method_not_allowed');
    expect(res.headers.allow).toContain('PUT');
  });

  it.each([
    ['restore of version 0', `/v1/runs/${runId}/restore`, { version: 0 }, 400, 'invalid_request'],
    [
      'restore of a missing version',
      `/v1/runs/${runId}/restore`,
      { version: 42, expectedVersion: 1 },
      404,
      'not_found',
    ],
    [
      'restore without a precondition',
      `/v1/runs/${runId}/restore`,
      { version: 1 },
      428,
      'precondition_required',
    ],
    [
      'restore with a stale expectedVersion',
      `/v1/runs/${runId}/restore`,
      { version: 1, expectedVersion: 0 },
      409,
      'version_conflict',
    ],
    [
      'restore with an unknown field',
      `/v1/runs/${runId}/restore`,
      { version: 1, force: true },
      400,
      'invalid_request',
    ],
    [
      'complete with a bad status',
      `/v1/runs/${runId}/complete`,
      { status: 'running' },
      400,
      'invalid_request',
    ],
    [
      'complete with a bad cost',
      `/v1/runs/${runId}/complete`,
      { status: 'completed', metadata: { costUsd: 'lots' } },
      400,
      'invalid_request',
    ],
    [
      'complete of a missing run',
      `/v1/runs/missing-${randomUUID()}/complete`,
      { status: 'completed' },
      404,
      'not_found',
    ],
  ])('POST %s', async (_name, path, body, status, code) => {
    const before = await snapshot();
    const res = await strata.post(key, path, body);
    expect(res.status).toBe(status);
    expect(res.body.error).toBe(code);
    expect(await snapshot()).toEqual(before);
  });
});
