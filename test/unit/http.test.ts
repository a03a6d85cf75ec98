import { describe, expect, it } from 'vitest';
import { createAuthenticator, generateApiKey, hashApiKey } from '../../lib/auth/api-keys.ts';
import { InvalidRequest, TierUnavailable, Unauthorized, VersionConflict } from '../../lib/errors.ts';
import { errorReply } from '../../lib/http/errors.ts';
import { serialiseBody } from '../../lib/http/json.ts';
import { Router } from '../../lib/http/router.ts';
import { type ApiRequest, RawJson } from '../../lib/http/types.ts';
import { silentLogger } from '../../lib/observability/logger.ts';
import type { Tenant } from '../../lib/tiers/durable/port.ts';
import { createMemoryHotTier } from '../../lib/tiers/hot/memory.ts';

const request = (method: string, path: string): ApiRequest => ({
  requestId: 'test',
  method,
  path,
  query: new URLSearchParams(),
  header: () => undefined,
  rawBody: undefined,
});

describe('Router', () => {
  const router = new Router<string>()
    .on('GET', '/v1/runs/:runId/state', async (_req, deps, params) => ({
      status: 200,
      body: { deps, params },
    }))
    .on('PUT', '/v1/runs/:runId/state', async () => ({ status: 201 }));

  it('matches patterns and decodes parameters', async () => {
    const reply = await router.dispatch(request('GET', '/v1/runs/a%3Ab/state'), 'd');
    expect(reply).toEqual({ status: 200, body: { deps: 'd', params: { runId: 'a:b' } } });
  });

  it('answers 405 with Allow for a known path and 404 for an unknown one', async () => {
    const wrongMethod = await router.dispatch(request('DELETE', '/v1/runs/x/state'), 'd');
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers).toEqual({ allow: 'GET, PUT, HEAD' });
    expect((await router.dispatch(request('GET', '/v2/runs/x/state'), 'd')).status).toBe(404);
  });

  it('refuses broken percent-encoding as a bad request', async () => {
    await expect(router.dispatch(request('GET', '/v1/runs/%E0%A4%A/state'), 'd')).rejects.toBeInstanceOf(
      InvalidRequest,
    );
  });
});

describe('serialiseBody', () => {
  it('splices raw JSON without re-serialising it', () => {
    expect(serialiseBody({ a: 1, state: new RawJson('{"x":[1,2]}'), skip: undefined })).toBe(
      '{"a":1,"state":{"x":[1,2]}}',
    );
    expect(JSON.parse(serialiseBody({ s: new RawJson('"é"') }))).toEqual({ s: 'é' });
    expect(serialiseBody([1])).toBe('[1]');
  });
});

describe('errorReply', () => {
  it('maps every typed error to a stable code', () => {
    expect(errorReply(new VersionConflict(5, 3), silentLogger)).toMatchObject({
      status: 409,
      body: { error: 'version_conflict', currentVersion: 5, expectedVersion: 3 },
    });
    expect(errorReply(new TierUnavailable('hot', 'down'), silentLogger)).toMatchObject({
      status: 503,
      body: { error: 'unavailable', retryable: true, tier: 'hot' },
      headers: { 'retry-after': '1' },
    });
    expect(errorReply(new Unauthorized('no'), silentLogger).status).toBe(401);
    expect(errorReply(new Error('boom'), silentLogger)).toMatchObject({
      status: 500,
      body: { error: 'internal' },
    });
  });
});

describe('authenticator', () => {
  const tenant: Tenant = { id: 't1', name: 'T', plan: 'mid', createdAt: 0 };

  it('resolves a bearer key through the directory and caches it for a while', async () => {
    const key = generateApiKey();
    let lookups = 0;
    let clock = 0;
    const auth = createAuthenticator(
      {
        findTenantByKeyHash: async (hash) => {
          lookups++;
          return hash === hashApiKey(key) ? tenant : null;
        },
      },
      { cacheMs: 1000, now: () => clock },
    );
    expect(await auth.authenticate(`Bearer ${key}`)).toBe(tenant);
    expect(await auth.authenticate(`bearer ${key}`)).toBe(tenant);
    expect(lookups).toBe(1);
    clock = 2000;
    await auth.authenticate(`Bearer ${key}`);
    expect(lookups).toBe(2);
    await expect(auth.authenticate('Bearer nope')).rejects.toBeInstanceOf(Unauthorized);
    await expect(auth.authenticate(undefined)).rejects.toBeInstanceOf(Unauthorized);
    await expect(auth.authenticate(`Basic ${key}`)).rejects.toBeInstanceOf(Unauthorized);
  });

  it('accepts a key Postgres vouched for recently while Postgres cannot answer, and nothing else', async () => {
    const tenant: Tenant = { id: 't1', name: 'T', plan: 'mid', createdAt: 0 };
    const key = generateApiKey();
    let clock = 0;
    let down = false;
    const auth = createAuthenticator(
      {
        findTenantByKeyHash: async (hash) => {
          if (down) throw new TierUnavailable('durable', 'down');
          return hash === hashApiKey(key) ? tenant : null;
        },
      },
      { cacheMs: 1000, staleIfErrorMs: 60_000, now: () => clock },
    );
    await auth.authenticate(`Bearer ${key}`);
    await expect(auth.authenticate('Bearer unknown')).rejects.toBeInstanceOf(Unauthorized);
    down = true;
    clock = 30_000; // expired, but within staleIfErrorMs of the lookup
    expect(await auth.authenticate(`Bearer ${key}`)).toBe(tenant);
    // A key Postgres refused, or never saw, is not let in by an outage.
    await expect(auth.authenticate('Bearer unknown')).rejects.toBeInstanceOf(TierUnavailable);
    await expect(auth.authenticate(`Bearer ${generateApiKey()}`)).rejects.toBeInstanceOf(TierUnavailable);
    clock = 61_000;
    await expect(auth.authenticate(`Bearer ${key}`)).rejects.toBeInstanceOf(TierUnavailable);
  });

  it('lets an instance that never saw a key check it while Postgres is down, from what another kept in the hot tier', async () => {
    const tenant: Tenant = { id: 't1', name: 'T', plan: 'enterprise', createdAt: 5 };
    const key = generateApiKey();
    const hot = await createMemoryHotTier();
    let down = false;
    const directory = {
      findTenantByKeyHash: async (hash: string) => {
        if (down) throw new TierUnavailable('durable', 'down');
        return hash === hashApiKey(key) ? tenant : null;
      },
    };
    const first = createAuthenticator(directory, { shared: hot });
    expect(await first.authenticate(`Bearer ${key}`)).toBe(tenant);
    await expect(first.authenticate('Bearer unknown')).rejects.toBeInstanceOf(Unauthorized);
    await new Promise((resolve) => setTimeout(resolve, 10)); // the hot write is not awaited
    down = true;
    const cold = createAuthenticator(directory, { shared: hot });
    expect(await cold.authenticate(`Bearer ${key}`)).toEqual(tenant);
    // Only a key Postgres vouched for: an invalid one, or garbage kept under a key's hash, is not let in.
    await expect(cold.authenticate('Bearer unknown')).rejects.toBeInstanceOf(TierUnavailable);
    const forged = generateApiKey();
    await hot.rememberCredential(hashApiKey(forged), '{"id":"x","plan":"root"}', 60);
    await expect(cold.authenticate(`Bearer ${forged}`)).rejects.toBeInstanceOf(TierUnavailable);
    await hot.close();
  });
});
