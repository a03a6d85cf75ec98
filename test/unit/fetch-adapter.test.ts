/**
 * The Web fetch adapter (lib/http/fetch.ts) over the real router and handlers on the embedded tiers (memory hot
 * tier, PGlite): it answers what the functions-framework adapter answers, byte for byte, for the same requests.
 */
import { randomUUID } from 'node:crypto';
import * as ff from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StateApiDeps } from '../../functions/state-api/handlers.ts';
import { stateApiRoutes } from '../../functions/state-api/routes.ts';
import { generateApiKey, hashApiKey } from '../../lib/auth/api-keys.ts';
import { loadConfig } from '../../lib/config.ts';
import { TierUnavailable } from '../../lib/errors.ts';
import { expressHandler } from '../../lib/http/express.ts';
import { fetchHandler, toApiRequest } from '../../lib/http/fetch.ts';
import { contentHash } from '../../lib/model/canonical.ts';
import { silentLogger } from '../../lib/observability/logger.ts';
import { stateApiDeps } from '../../lib/runtime/state-api.ts';
import { createPgliteDurableTier } from '../../lib/tiers/durable/pglite.ts';
import { createMemoryHotTier } from '../../lib/tiers/hot/memory.ts';

const BASE = 'http://strata.test';
let deps: StateApiDeps;
let close: () => Promise<void>;
let apiKey: string;
let viaFetch: (request: Request) => Promise<Response>;
let server: ReturnType<typeof getTestServer>;

beforeAll(async () => {
  const hot = await createMemoryHotTier();
  const durable = await createPgliteDurableTier();
  deps = stateApiDeps(loadConfig({}), { hot, durable, close: async () => {} }, silentLogger);
  close = async () => {
    await Promise.allSettled([hot.close(), durable.close()]);
  };
  await durable.createTenant({ id: 'acme', name: 'Acme', plan: 'mid' });
  apiKey = generateApiKey();
  await durable.addApiKey('acme', { keyHash: hashApiKey(apiKey), label: 'test' });
  viaFetch = fetchHandler(stateApiRoutes(), async () => deps, silentLogger);
  const name = `state-api-${randomUUID()}`;
  ff.http(
    name,
    expressHandler(stateApiRoutes(), async () => deps, silentLogger),
  );
  server = getTestServer(name);
});
afterAll(async () => close?.());

const state = (step: number) => ({
  agentName: 'planner',
  status: 'running',
  step,
  data: { step, note: 'é🚀' },
});

interface Sent {
  readonly method: string;
  readonly path: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

/** Each answer's request id is its own; everything else must be the same bytes. */
const withoutRequestId = (body: string) => body.replace(/,"requestId":"[0-9a-f-]{36}"/, '');

const withKey = (sent: Sent): Sent => ({
  ...sent,
  headers: { authorization: `Bearer ${apiKey}`, ...sent.headers },
});

async function fetchAnswer(sent: Sent) {
  const response = await viaFetch(
    new Request(BASE + sent.path, {
      method: sent.method,
      headers: sent.headers ?? {},
      ...(sent.body !== undefined && { body: sent.body }),
    }),
  );
  const headers = Object.fromEntries(
    ['content-type', 'etag', 'allow', 'www-authenticate', 'retry-after'].map((h) => [
      h,
      response.headers.get(h) ?? undefined,
    ]),
  );
  return { status: response.status, body: withoutRequestId(await response.text()), headers };
}

async function expressAnswer(sent: Sent) {
  let test = request(server)
    [sent.method.toLowerCase() as 'get'](sent.path)
    .set(sent.headers ?? {});
  if (sent.body !== undefined) test = test.send(sent.body);
  const res = await test.buffer(true).parse((r, done) => {
    let text = '';
    r.setEncoding('utf8');
    r.on('data', (chunk: string) => {
      text += chunk;
    });
    r.on('end', () => done(null, text));
  });
  const header = (name: string): string | undefined => res.headers[name];
  const headers = Object.fromEntries(
    ['content-type', 'etag', 'allow', 'www-authenticate', 'retry-after'].map((h) => [h, header(h)]),
  );
  return { status: res.status, body: withoutRequestId(String(res.body ?? '')), headers };
}

const json = { 'content-type': 'application/json' };

describe('fetch adapter', () => {
  it('saves through a Web Request and loads the same state and hash back', async () => {
    const runId = `run-${randomUUID()}`;
    const s = state(1);
    const saved = await fetchAnswer(
      withKey({
        method: 'PUT',
        path: `/v1/runs/${runId}/state`,
        headers: json,
        body: JSON.stringify({ state: s, expectedVersion: 0, checkpoint: 'CRITICAL' }),
      }),
    );
    expect(saved.status).toBe(200);
    expect(saved.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(saved.headers.etag).toBe('"1"');
    expect(JSON.parse(saved.body)).toEqual({
      runId,
      version: 1,
      hash: contentHash(s),
      durability: 'durable',
    });

    const loaded = await fetchAnswer(withKey({ method: 'GET', path: `/v1/runs/${runId}/state?version=1` }));
    expect(loaded.status).toBe(200);
    expect(JSON.parse(loaded.body)).toMatchObject({
      runId,
      version: 1,
      hash: contentHash(s),
      servedBy: 'hot',
      state: s,
    });
  });

  it('answers what the functions-framework adapter answers, status, headers and bytes', async () => {
    const runId = `run:${randomUUID()}`;
    const path = `/v1/runs/${encodeURIComponent(runId)}`;
    const save = (expectedVersion: number, step: number): Sent =>
      withKey({
        method: 'PUT',
        path: `${path}/state`,
        headers: json,
        body: JSON.stringify({ state: state(step), expectedVersion }),
      });
    // The same save sent through each adapter: the second one, stale, is refused with the same 409.
    expect((await fetchAnswer(save(0, 1))).status).toBe(200);
    const cases: Sent[] = [
      save(0, 2),
      withKey({ method: 'GET', path: `${path}/state` }),
      withKey({ method: 'GET', path: `${path}/state?version=1` }),
      withKey({ method: 'GET', path: `${path}/checkpoints?limit=5` }),
      withKey({ method: 'GET', path: `${path}/state?version=x` }),
      withKey({ method: 'GET', path: '/v1/runs/nobody/state' }),
      withKey({
        method: 'PUT',
        path: `${path}/state`,
        headers: json,
        body: JSON.stringify({ state: state(3) }),
      }),
      withKey({ method: 'PUT', path: `${path}/state`, headers: json, body: '{"state":{},"extra":1}' }),
      withKey({
        method: 'PUT',
        path: `${path}/state`,
        headers: { 'content-type': 'text/plain' },
        body: 'hi',
      }),
      withKey({ method: 'PATCH', path: `${path}/state` }),
      withKey({ method: 'GET', path: '/v2/nothing' }),
      { method: 'GET', path: `${path}/state` },
      { method: 'GET', path: `${path}/state`, headers: { authorization: 'Bearer sk_strata_wrong' } },
    ];
    for (const sent of cases) {
      const [web, express] = [await fetchAnswer(sent), await expressAnswer(sent)];
      expect({ sent: `${sent.method} ${sent.path}`, ...web }).toEqual({
        sent: `${sent.method} ${sent.path}`,
        ...express,
      });
    }
    const deleted = await fetchAnswer(withKey({ method: 'DELETE', path }));
    expect(deleted).toMatchObject({ status: 204, body: '' });
    expect(deleted.headers['content-type']).toBeUndefined();
    expect((await expressAnswer(withKey({ method: 'GET', path: `${path}/state` }))).status).toBe(404);
  });

  it('answers malformed JSON with its JSON error, as the functions-framework path does', async () => {
    const answer = await fetchAnswer(
      withKey({ method: 'PUT', path: '/v1/runs/r/state', headers: json, body: '{"state": ' }),
    );
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body)).toMatchObject({ error: 'invalid_request' });
  });

  it('hands handlers the raw body bytes, the still-encoded path and case-insensitive headers', async () => {
    const api = await toApiRequest(
      new Request(`${BASE}/v1/runs/a%2Fb/state?x=1&y=%C3%A9`, {
        method: 'PUT',
        headers: { 'If-Match': '"3"' },
        body: 'é',
      }),
      'req-1',
    );
    expect(api.path).toBe('/v1/runs/a%2Fb/state');
    expect(api.query.get('y')).toBe('é');
    expect(api.header('if-match')).toBe('"3"');
    expect(api.header('idempotency-key')).toBeUndefined();
    expect(api.rawBody).toEqual(new TextEncoder().encode('é'));
    expect(api.requestId).toBe('req-1');
    expect((await toApiRequest(new Request(`${BASE}/`), 'req-2')).rawBody).toBeUndefined();
  });

  it('maps a failure to create its deps to the error reply, and tries again on the next request', async () => {
    let attempts = 0;
    const handler = fetchHandler(
      stateApiRoutes(),
      async () => {
        attempts++;
        if (attempts === 1) throw new TierUnavailable('durable', 'not yet');
        return deps;
      },
      silentLogger,
    );
    const first = await handler(new Request(`${BASE}/health/persistence`));
    expect(first.status).toBe(503);
    expect(first.headers.get('retry-after')).toBe('1');
    expect(await first.json()).toMatchObject({ error: 'unavailable', tier: 'durable', retryable: true });
    expect((await handler(new Request(`${BASE}/health/persistence`))).status).toBe(200);
    expect((await handler(new Request(`${BASE}/health/persistence`))).status).toBe(200);
    expect(attempts).toBe(2);
  });
});
