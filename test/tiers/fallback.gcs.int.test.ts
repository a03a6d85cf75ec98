/**
 * The Cloud Storage fallback store against the FallbackStore contract, through @google-cloud/storage and the
 * local JSON-API bridge (infra/gcs-bridge), plus what only a shared bucket can get wrong: instances that see
 * each other's writes, create-only names, deletes conditional on the generation read — and no request that
 * leaves 127.0.0.1 (no metadata server, no OAuth).
 */
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GcsBridge, startGcsBridge } from '../../infra/gcs-bridge/index.ts';
import { TierUnavailable } from '../../lib/errors.ts';
import { createGcsFallback, type GcsFallbackOptions } from '../../lib/tiers/fallback/gcs.ts';
import type { FallbackStore, SpooledWrite } from '../../lib/tiers/fallback/port.ts';
import type { RunKey } from '../../lib/tiers/types.ts';
import { fallbackContract } from '../contracts/fallback.contract.ts';

// Every TCP connection this file opens, by host: the client must reach nothing but the bridge.
const connectedTo = new Set<string>();
const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
  // Node passes normalised arguments ([options, callback]) from net.connect, or (options) / (port, host).
  const first = Array.isArray(args[0]) ? args[0][0] : args[0];
  const options = typeof first === 'object' && first ? (first as { host?: string; path?: string }) : null;
  const host = options ? (options.host ?? (options.path ? `ipc:${options.path}` : 'localhost')) : args[1];
  connectedTo.add(String(host ?? 'localhost'));
  return (connect as (...a: unknown[]) => net.Socket).apply(this, args);
} as typeof connect;

const BUCKET = 'strata-spool-test';
let bridge: GcsBridge;
beforeAll(async () => {
  bridge = await startGcsBridge({ buckets: [BUCKET] });
});
afterAll(async () => {
  net.Socket.prototype.connect = connect;
  await bridge?.close();
});

const prefixes = new WeakMap<FallbackStore, string>();
function openAt(prefix: string, options: Partial<GcsFallbackOptions> = {}): FallbackStore {
  const store = createGcsFallback({ bucket: BUCKET, prefix, endpoint: bridge.url, ...options });
  prefixes.set(store, prefix);
  return store;
}

fallbackContract({
  name: 'gcs (bridge)',
  // A prefix per test: one bucket, as a deploy shares one between environments.
  create: async () => openAt(`t-${randomUUID()}/spool/`),
  async reopen(store) {
    await store.close();
    return openAt(prefixes.get(store)!);
  },
});

const key: RunKey = { tenantId: 'tenant', runId: 'run' };
const write = (k: RunKey, version: number, payload = `{"v":${version}}`): Omit<SpooledWrite, 'id'> => ({
  key: k,
  record: {
    version,
    hash: `h${version}`,
    checkpoint: 'CRITICAL',
    encoding: 'json',
    payload,
    sizeBytes: payload.length,
    savedAt: version,
  },
  run: { agentName: 'a', parentRunId: null, threadId: null, userId: null, status: 'running' },
  spooledAt: version,
});

/** A raw client on the bridge, to look at and tamper with the bucket behind the store's back. */
const raw = () => new Storage({ apiEndpoint: bridge.url, projectId: 'strata-local' }).bucket(BUCKET);
const namesUnder = async (prefix: string) => (await raw().getFiles({ prefix }))[0].map((f) => f.name);

describe('gcs fallback store · objects', () => {
  it('names one object per write under the prefix, in spool order, created with ifGenerationMatch=0', async () => {
    const prefix = `t-${randomUUID()}/spool/`;
    const store = openAt(prefix);
    const spooled = [];
    for (let v = 1; v <= 3; v++) spooled.push(await store.spool(write(key, v)));
    expect(await namesUnder(prefix)).toEqual(spooled.map((s) => `${prefix}${s.id}.json`));
    const uploads = bridge.requests.filter(
      (r) => r.path.startsWith('/upload/') && r.query.name?.startsWith(prefix),
    );
    expect(uploads).toHaveLength(3);
    for (const upload of uploads)
      expect(upload.query).toMatchObject({ uploadType: 'multipart', ifGenerationMatch: '0' });
  });

  it('never writes tenant or run ids into an object name', async () => {
    const prefix = `t-${randomUUID()}/spool/`;
    const store = openAt(prefix);
    const evil: RunKey = { tenantId: '../../escaped', runId: 'a/../../b?c#d' };
    await store.spool(write(evil, 1));
    const [name = ''] = await namesUnder(prefix);
    expect(name.slice(prefix.length)).toMatch(/^[0-9a-f-]+\.json$/);
    expect(await store.loadLatest(evil)).toMatchObject({ version: 1 });
    await store.remove('../../escaped');
    expect(await namesUnder(prefix)).toEqual([name]);
  });

  it('sees what another instance on the bucket spools and removes', async () => {
    const prefix = `t-${randomUUID()}/spool/`;
    const [one, two] = [openAt(prefix, { indexMaxAgeMs: 0 }), openAt(prefix, { indexMaxAgeMs: 0 })];
    const mine = await one.spool(write(key, 1));
    const theirs = await two.spool(write(key, 2));
    expect(await one.loadLatest(key)).toEqual(theirs.record);
    expect(await one.list({ limit: 10 })).toEqual([mine, theirs]);
    await two.remove(theirs.id);
    expect(await one.loadLatest(key)).toEqual(mine.record);
    await two.spool(write(key, 3));
    expect(await one.removeRun(key)).toBe(2);
    expect(await two.count()).toBe(0);
  });

  it('answers loadLatest from its index within indexMaxAgeMs, without a request per load', async () => {
    const prefix = `t-${randomUUID()}/spool/`;
    const store = openAt(prefix, { indexMaxAgeMs: 60_000 });
    expect(await store.loadLatest(key)).toBeNull();
    const before = bridge.requests.length;
    for (let i = 0; i < 20; i++) expect(await store.loadLatest({ tenantId: 't', runId: `r${i}` })).toBeNull();
    expect(bridge.requests.length).toBe(before);
  });

  it('does not delete an object rewritten since it was read, and deletes with the generation read', async () => {
    const prefix = `t-${randomUUID()}/spool/`;
    const store = openAt(prefix);
    await store.spool(write(key, 1));
    const [listed] = await store.list({ limit: 1 });
    const name = `${prefix}${listed!.id}.json`;
    // Someone replaces the object after the drain read it: the drain made the old content durable, not this.
    const file = raw().file(name);
    await file.delete();
    await file.save('{"format":"strata-fallback/1","write":{"replaced":true}}', { resumable: false });
    const [{ generation }] = await file.getMetadata();
    await store.remove(listed!.id);
    expect(await namesUnder(prefix)).toEqual([name]);
    const deletes = bridge.requests.filter(
      (r) => r.method === 'DELETE' && r.path.endsWith(encodeURIComponent(name)),
    );
    expect(deletes.at(-1)).toMatchObject({ status: 412 });
    expect(deletes.at(-1)?.query.ifGenerationMatch).not.toBe(String(generation));
    // An instance that never saw the object reads its generation, then deletes exactly that one.
    await openAt(prefix).remove(listed!.id);
    expect(await namesUnder(prefix)).toEqual([]);
    const spoolDeletes = bridge.requests.filter(
      (r) => r.method === 'DELETE' && r.path.endsWith(encodeURIComponent(name)),
    );
    expect(spoolDeletes.at(-1)).toMatchObject({
      status: 204,
      query: { ifGenerationMatch: String(generation) },
    });
  });

  it('erases a run even when its object was rewritten meanwhile', async () => {
    const prefix = `t-${randomUUID()}/spool/`;
    const store = openAt(prefix);
    const spooled = await store.spool(write(key, 1));
    const file = raw().file(`${prefix}${spooled.id}.json`);
    await file.delete();
    await file.save(JSON.stringify({ format: 'strata-fallback/1', write: spooled }), { resumable: false });
    expect(await store.removeRun(key)).toBe(1);
    expect(await namesUnder(prefix)).toEqual([]);
  });

  it('refuses a corrupt object with a message that says what to do, and ignores foreign objects', async () => {
    const prefix = `t-${randomUUID()}/spool/`;
    const store = openAt(prefix);
    const good = await store.spool(write(key, 1));
    await raw().file(`${prefix}README.txt`).save('not a spooled write', { resumable: false });
    expect(await store.list({ limit: 10 })).toEqual([good]);
    expect(await store.count()).toBe(1);
    await raw().file(`${prefix}${good.id}.json`).save('{"format":"strata-fa', { resumable: false });
    const error = await store.list({ limit: 10 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TierUnavailable);
    expect((error as Error).message).toContain(`move it out of gs://${BUCKET}/${prefix}`);
  });
});

describe('gcs fallback store · failures become TierUnavailable', () => {
  it('when the bucket does not exist', async () => {
    const store = createGcsFallback({ bucket: 'no-such-bucket', endpoint: bridge.url });
    const error = await store.spool(write(key, 1)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TierUnavailable);
    expect((error as TierUnavailable).tier).toBe('fallback');
    await expect(store.ping()).rejects.toBeInstanceOf(TierUnavailable);
  });

  it('when the service is unreachable, quickly', async () => {
    const gone = await startGcsBridge({ buckets: [BUCKET] });
    await gone.close();
    const store = createGcsFallback({ bucket: BUCKET, endpoint: gone.url, timeoutMs: 500 });
    const started = Date.now();
    await expect(store.ping()).rejects.toBeInstanceOf(TierUnavailable);
    await expect(store.loadLatest(key)).rejects.toBeInstanceOf(TierUnavailable);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('once closed; and spool refuses a version that is not a non-negative integer', async () => {
    const store = openAt(`t-${randomUUID()}/spool/`);
    await expect(store.spool(write(key, -1))).rejects.toThrow(RangeError);
    await expect(store.spool(write(key, 1.5))).rejects.toThrow(RangeError);
    await store.close();
    await expect(store.spool(write(key, 1))).rejects.toThrow(/was closed/);
  });
});

describe('gcs fallback store · offline', () => {
  it('opened no connection beyond 127.0.0.1 in this file (no metadata server, no OAuth)', () => {
    expect(connectedTo.size).toBeGreaterThan(0);
    expect([...connectedTo]).toEqual(['127.0.0.1']);
  });
});
