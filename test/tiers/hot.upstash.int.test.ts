/**
 * The production hot tier against the HotTier contract: createUpstashHotTier → the Upstash REST bridge
 * (in process) → the machine's Redis. Plus key layout, round trips, and failure modes with a dead peer.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { Redis, type Requester } from '@upstash/redis';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startUpstashBridge, type UpstashBridge } from '../../infra/upstash-bridge/index.ts';
import { TierUnavailable } from '../../lib/errors.ts';
import type { HotTier } from '../../lib/tiers/hot/port.ts';
import { createUpstashHotTier } from '../../lib/tiers/hot/upstash.ts';
import { keepAliveRequester, type RequesterOptions } from '../../lib/tiers/hot/upstash-requester.ts';
import type { RunKey, StoredVersion } from '../../lib/tiers/types.ts';
import { hotContract } from '../contracts/hot.contract.ts';
import { canonicalOf, chainOf, stateAt, steps } from '../support/chains.ts';
import { freePort } from '../support/ports.ts';

/** Every key of this file starts with it: the shared Redis is never flushed, only these keys are deleted. */
const keyPrefix = `strata-test-${randomUUID()}`;
let bridge: UpstashBridge;
let inspect: Redis;

beforeAll(async () => {
  bridge = await startUpstashBridge({});
  inspect = new Redis({
    url: bridge.url,
    token: bridge.token,
    automaticDeserialization: false,
    enableTelemetry: false,
  });
});

afterAll(async () => {
  const keys = await scanAll(`${keyPrefix}:*`);
  if (keys.length > 0) await inspect.del(...keys);
  await bridge.close();
});

/** Every key matching `match`; SCAN, not KEYS, because the Redis is shared. */
async function scanAll(match: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  for (let page = 0; page < 100_000; page++) {
    const [next, keys] = await inspect.scan(cursor, { match, count: 1_000 });
    found.push(...keys);
    cursor = String(next);
    if (cursor === '0') return found;
  }
  throw new Error(`SCAN ${match} did not finish`);
}

/** As Node runs it in production: over the keep-alive requester (lib/tiers/hot/upstash-requester.ts). */
const tierOn = (
  url: string,
  token: string,
  extra: Partial<Parameters<typeof createUpstashHotTier>[0]> = {},
) =>
  createUpstashHotTier({
    url,
    token,
    keyPrefix,
    retry: false,
    timeoutMs: 1_000,
    transport: keepAliveRequester,
    ...extra,
  });

/** The Node transport, recording the reply of each HTTP request it makes (one per call of `request`). */
function recordingTransport() {
  const replies: string[] = [];
  const transport = (options: RequesterOptions): Requester => {
    const requester = keepAliveRequester(options);
    const send = requester.request;
    requester.request = (async (req: Parameters<Requester['request']>[0]) => {
      const reply = await send(req);
      replies.push(JSON.stringify(reply));
      return reply;
    }) as Requester['request'];
    return requester;
  };
  return { transport, replies };
}

/** The keys' common part for a run, as upstash.ts builds it. */
const runPrefix = (key: { tenantId: string; runId: string }, prefix = keyPrefix) =>
  `${prefix}:{${encodeURIComponent(key.tenantId)}:${encodeURIComponent(key.runId)}}`;

// Before chains, the head HASH held the whole record, with no chain list.
const legacyHeadWriter =
  (prefix: string) => async (tier: HotTier, key: RunKey, record: StoredVersion, ttlSeconds: number) => {
    const head = `${runPrefix(key, prefix)}:head`;
    await inspect.hset(head, {
      ...record,
      version: String(record.version),
      sizeBytes: String(record.sizeBytes),
      savedAt: String(record.savedAt),
    });
    await inspect.expire(head, ttlSeconds);
    return tier;
  };

hotContract({
  name: 'upstash→bridge→redis',
  create: async () => tierOn(bridge.url, bridge.token, { timeoutMs: 5_000 }),
  writeLegacyHead: legacyHeadWriter(keyPrefix),
});

// The client's own transport (the platform fetch), as the Web-standard runtime uses it.
hotContract({
  name: 'upstash (client fetch)→bridge→redis',
  // Its own key space: the outbox is one sorted set per prefix, and the contract lists it whole.
  create: async () =>
    createUpstashHotTier({
      url: bridge.url,
      token: bridge.token,
      keyPrefix: `${keyPrefix}:fetch`,
      retry: false,
      timeoutMs: 5_000,
    }),
  writeLegacyHead: legacyHeadWriter(`${keyPrefix}:fetch`),
});

const rec = (version: number): StoredVersion => ({
  version,
  hash: `h${version}`,
  checkpoint: 'FULL',
  encoding: 'json',
  payload: 'x'.repeat(1_024),
  sizeBytes: 1_024,
  savedAt: Date.now(),
});

describe('upstash hot tier · layout and round trips', () => {
  it('keeps a run in hash-tagged keys that all expire, and delete leaves none', async () => {
    const tier = tierOn(bridge.url, bridge.token);
    const key = { tenantId: `t:${randomUUID()}`, runId: 'r{1}' };
    const run = `${keyPrefix}:{${encodeURIComponent(key.tenantId)}:${encodeURIComponent(key.runId)}}`;
    await tier.save(key, rec(1), { ttlSeconds: 60, knownHead: 0 });
    const receipt = { runId: 'r', version: 2, hash: 'h2', durability: 'hot' } as const;
    const idempotency = { key: 'k', fingerprint: 'f', ttlSeconds: 30, receipt };
    await tier.save(key, rec(2), { ttlSeconds: 60, keepPrevious: true, idempotency });

    const found = await scanAll(`${keyPrefix}:{${encodeURIComponent(key.tenantId)}*`);
    expect(new Set(found)).toEqual(
      new Set([
        `${run}:head`,
        `${run}:chain`,
        `${run}:prev`,
        `${run}:prevchain`,
        `${run}:idem:k`,
        `${run}:receipts`,
      ]),
    );
    const ttls = await Promise.all(found.map((k) => inspect.pttl(k)));
    for (const ttl of ttls) expect(ttl).toBeGreaterThan(0);
    expect(await inspect.pttl(`${run}:prev`)).toBeLessThanOrEqual(120_000);
    expect(await inspect.pttl(`${run}:prevchain`)).toBeLessThanOrEqual(120_000);
    expect(await inspect.pttl(`${run}:receipts`)).toBeGreaterThan(25_000);

    await tier.delete(key);
    expect(await inspect.exists(...found)).toBe(0);
  });

  it('reads a head written before delta chains (a HASH of the whole record), and takes only a whole state onto it', async () => {
    const tier = tierOn(bridge.url, bridge.token);
    const key = { tenantId: `t-${randomUUID()}`, runId: 'old-layout' };
    const run = `${keyPrefix}:{${encodeURIComponent(key.tenantId)}:${encodeURIComponent(key.runId)}}`;
    const [first, second] = chainOf(steps(2));
    const old = { ...first!, checkpoint: 'CRITICAL' as const };
    await inspect.hset(`${run}:head`, {
      ...old,
      version: '1',
      sizeBytes: String(old.sizeBytes),
      savedAt: String(old.savedAt),
    });
    expect(await tier.load(key)).toEqual(old);
    // A patch needs a chain to link onto: the caller saves the version whole instead.
    expect(await tier.save(key, second!, { ttlSeconds: 60, baseHash: old.hash })).toEqual({
      status: 'base_changed',
    });
    const whole = chainOf(steps(2, [2]))[1]!;
    expect(await tier.save(key, whole, { ttlSeconds: 60, baseHash: old.hash, keepPrevious: true })).toEqual({
      status: 'saved',
    });
    expect(await tier.load(key)).toEqual(whole);
    // Reverting it brings the old layout back as it was.
    await tier.revert(key, 2, whole.hash);
    expect(await tier.load(key)).toEqual(old);
    await tier.delete(key);
  });

  it('keeps what revert needs in O(1): a kept link leaves a small undo record, a whole state renames the chain aside', async () => {
    const tier = tierOn(bridge.url, bridge.token);
    const key = { tenantId: `t-${randomUUID()}`, runId: 'undo' };
    const run = runPrefix(key);
    const records = chainOf(steps(6, [6]));
    for (const r of records.slice(0, 4)) {
      const base = r.baseHash === undefined ? { knownHead: 0 } : { baseHash: r.baseHash };
      expect(await tier.save(key, r, { ttlSeconds: 60, ...base })).toEqual({ status: 'saved' });
    }
    const link = records[4]!;
    await tier.save(key, link, { ttlSeconds: 60, baseHash: link.baseHash!, keepPrevious: true });
    // No copy of the chain: the undo of a link is the head it replaced and the chain's length.
    expect(await inspect.exists(`${run}:prevchain`)).toBe(0);
    expect(await inspect.hgetall(`${run}:prev`)).toEqual([
      'undo',
      'pop',
      'version',
      '4',
      'hash',
      records[3]!.hash,
      'links',
      '5',
    ]);
    expect(await inspect.pttl(`${run}:prev`)).toBeLessThanOrEqual(120_000);
    await tier.save(key, records[5]!, { ttlSeconds: 60, keepPrevious: true });
    // A whole state: the replaced chain is moved aside as it was, and the new chain is the state alone.
    expect(await inspect.llen(`${run}:prevchain`)).toBe(5);
    expect(await inspect.llen(`${run}:chain`)).toBe(1);
    expect(await inspect.hget(`${run}:prev`, 'version')).toBe('5');
    await tier.revert(key, 6, records[5]!.hash);
    expect(await inspect.llen(`${run}:chain`)).toBe(5);
    expect(await inspect.exists(`${run}:prev`, `${run}:prevchain`)).toBe(0);
    await tier.delete(key);
  });

  it('serves an unchanged rebuilt head without reading its chain, and never a head another instance changed', async () => {
    const recording = recordingTransport();
    const reader = tierOn(bridge.url, bridge.token, { transport: recording.transport });
    const writer = tierOn(bridge.url, bridge.token);
    const key = { tenantId: `t-${randomUUID()}`, runId: 'cached' };
    const run = steps(5);
    const records = chainOf(run);
    const save = (tier: typeof writer, r: StoredVersion, keepPrevious = false) =>
      tier.save(key, r, {
        ttlSeconds: 60,
        keepPrevious,
        ...(r.baseHash === undefined ? { knownHead: r.version - 1 } : { baseHash: r.baseHash }),
      });
    for (const r of records.slice(0, 3)) await save(writer, r);
    const { replies } = recording;
    {
      const third = { version: 3, hash: records[2]!.hash, payload: canonicalOf(run)[2] };
      expect(await reader.load(key)).toMatchObject(third);
      expect(await reader.load(key)).toMatchObject(third);
      // The second load was answered 'same': the chain did not travel again.
      expect(replies.at(-1)!.length).toBeLessThan(100);
      // Another instance appends a link, reverts it, saves another version 4, replaces the chain, deletes the run.
      await save(writer, records[3]!, true);
      expect(await reader.load(key)).toMatchObject({ version: 4, hash: records[3]!.hash });
      await writer.revert(key, 4, records[3]!.hash);
      expect(await reader.load(key)).toMatchObject(third);
      const other = chainOf([...run.slice(0, 3), { state: { ...(stateAt(4) as object), step: 40 } }])[3]!;
      await save(writer, other);
      expect(await reader.load(key)).toMatchObject({ version: 4, hash: other.hash });
      const whole = chainOf(steps(5, [5]))[4]!;
      await writer.promote(key, whole, 60);
      expect(await reader.load(key)).toEqual(whole);
      await writer.delete(key);
      expect(await reader.load(key)).toBeNull();
    }
  });

  it('keeps the outbox in one sorted set without TTL, member = the URI-encoded ids', async () => {
    const tier = tierOn(bridge.url, bridge.token);
    const key = { tenantId: `t:${randomUUID()}`, runId: 'r{1}' };
    const member = `${encodeURIComponent(key.tenantId)}:${encodeURIComponent(key.runId)}`;
    const v1 = rec(1);
    await tier.save(key, v1, { ttlSeconds: 60, knownHead: 0, pendingDurable: true });
    expect(Number(await inspect.zscore(`${keyPrefix}:outbox`, member))).toBe(v1.savedAt);
    expect(await inspect.pttl(`${keyPrefix}:outbox`)).toBe(-1);
    await tier.delete(key);
    expect(await inspect.zscore(`${keyPrefix}:outbox`, member)).toBeNull();
  });

  it('saves in one HTTP round trip once the script is cached, pendingDurable or not', async () => {
    const recording = recordingTransport();
    const tier = tierOn(bridge.url, bridge.token, { transport: recording.transport });
    const key = { tenantId: `t-${randomUUID()}`, runId: 'r' };
    await tier.save(key, rec(1), { ttlSeconds: 60, knownHead: 0 });
    const receipt = { runId: 'r', version: 3, hash: 'h3', durability: 'hot' } as const;
    const idempotency = { key: 'k', fingerprint: 'f', ttlSeconds: 30, receipt };
    const v3 = rec(3);
    const before = recording.replies.length;
    expect(await tier.save(key, rec(2), { ttlSeconds: 60 })).toEqual({ status: 'saved' });
    expect(recording.replies.length - before).toBe(1);
    // A pendingDurable save runs the same script, already cached: still one request.
    expect(await tier.save(key, v3, { ttlSeconds: 60, pendingDurable: true, idempotency })).toEqual({
      status: 'saved',
    });
    expect(recording.replies.length - before).toBe(2);
    expect(await tier.outboxBatch({ savedBefore: Number.POSITIVE_INFINITY, limit: 10_000 })).toContainEqual({
      key,
      savedAt: v3.savedAt,
    });
  });
});

/** A throwaway Redis on a free port that a test may kill; never the shared one. */
async function startOwnRedis(): Promise<{ url: string; process: ChildProcess }> {
  const port = await freePort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  );
  const url = `redis://127.0.0.1:${port}`;
  for (let attempt = 0; attempt < 50; attempt++) {
    const probe = createClient({ url, socket: { reconnectStrategy: false } });
    probe.on('error', () => {});
    try {
      await probe.connect();
      await probe.close();
      return { url, process: child };
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  child.kill('SIGKILL');
  throw new Error(`redis-server on port ${port} did not start within 5 s`);
}

describe('upstash hot tier · failures become TierUnavailable within the timeout', () => {
  const expectUnavailableWithin = async (call: Promise<unknown>, ms: number) => {
    const started = performance.now();
    const error = await call.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TierUnavailable);
    expect((error as TierUnavailable).tier).toBe('hot');
    expect(performance.now() - started).toBeLessThan(ms);
    return error as TierUnavailable;
  };

  it('when nothing listens at the URL', async () => {
    const tier = tierOn(`http://127.0.0.1:${await freePort()}`, 'token');
    const error = await expectUnavailableWithin(tier.load({ tenantId: 't', runId: 'r' }), 1_000);
    expect(error.cause).toBeDefined();
  });

  it('when the server accepts but never answers, even with the client retrying', async () => {
    const sockets = new Set<import('node:net').Socket>();
    const blackHole = createServer((s) => sockets.add(s));
    await new Promise<void>((r) => blackHole.listen(0, '127.0.0.1', r));
    const { port } = blackHole.address() as import('node:net').AddressInfo;
    try {
      const tier = tierOn(`http://127.0.0.1:${port}`, 'token', { timeoutMs: 300, retry: { retries: 5 } });
      const error = await expectUnavailableWithin(tier.ping(), 1_000);
      expect(error.message).toMatch(/300 ms/);
    } finally {
      for (const s of sockets) s.destroy();
      blackHole.close();
    }
  });

  it('when the Redis behind the bridge dies', async () => {
    const redis = await startOwnRedis();
    const ownBridge = await startUpstashBridge({ redisUrl: redis.url });
    try {
      const tier = tierOn(ownBridge.url, ownBridge.token);
      const key = { tenantId: 't', runId: 'r' };
      expect(await tier.save(key, rec(1), { ttlSeconds: 60, knownHead: 0 })).toEqual({ status: 'saved' });
      const exited = new Promise((r) => redis.process.once('exit', r));
      redis.process.kill('SIGKILL');
      await exited;
      const error = await expectUnavailableWithin(tier.load(key), 1_000);
      expect(error.message).toMatch(/redis unavailable/);
    } finally {
      redis.process.kill('SIGKILL');
      await ownBridge.close();
    }
  });
});
