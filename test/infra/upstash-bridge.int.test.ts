/** Protocol tests of the Upstash REST bridge with the real `@upstash/redis` client, against the machine's Redis. */
import { randomUUID } from 'node:crypto';
import { Redis } from '@upstash/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startUpstashBridge, type UpstashBridge } from '../../infra/upstash-bridge/index.ts';
import { readBridgeConfig } from '../../infra/upstash-bridge/main.ts';
import { startRedisServer } from '../support/faults/redis-server.ts';
import { freePort } from '../support/ports.ts';

let bridge: UpstashBridge;
/** Default client: base64 encoding and auto-pipelining on, as in production. */
let redis: Redis;
/** Sees stored strings as they are ("123" stays a string). */
let raw: Redis;
const ns = `strata-test:bridge:${randomUUID()}`;
const used: string[] = [];
const key = (name: string) => {
  const k = `${ns}:${name}`;
  used.push(k);
  return k;
};

async function post(path: string, body: unknown, opts: { token?: string; base64?: boolean } = {}) {
  const res = await fetch(`${bridge.url}${path}`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${opts.token ?? bridge.token}`,
      ...(opts.base64 === false ? {} : { 'upstash-encoding': 'base64' }),
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as unknown };
}
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

beforeAll(async () => {
  bridge = await startUpstashBridge({});
  redis = new Redis({ url: bridge.url, token: bridge.token, enableTelemetry: false });
  raw = new Redis({
    url: bridge.url,
    token: bridge.token,
    automaticDeserialization: false,
    enableTelemetry: false,
  });
});

afterAll(async () => {
  if (used.length > 0) await raw.del(...used);
  await bridge.close();
});

describe('upstash bridge · encoding', () => {
  it('base64-encodes every string except the status "OK", and leaves numbers and null alone', async () => {
    const k = key('enc');
    expect(await post('/', ['set', k, 'v', 'ex', 60])).toEqual({ status: 200, json: { result: 'OK' } });
    expect(await post('/', ['get', k])).toEqual({ status: 200, json: { result: b64('v') } });
    expect(await post('/', ['ping'])).toEqual({ status: 200, json: { result: b64('PONG') } });
    expect(await post('/', ['strlen', k])).toEqual({ status: 200, json: { result: 1 } });
    expect(await post('/', ['get', key('missing')])).toEqual({ status: 200, json: { result: null } });
    // A stored value "OK" is a bulk string, not a status: it is encoded like any other.
    await post('/', ['set', k, 'OK', 'ex', 60]);
    expect(await post('/', ['get', k])).toEqual({ status: 200, json: { result: b64('OK') } });
    expect(await raw.get(k)).toBe('OK');
  });

  it('answers plain strings without the Upstash-Encoding header', async () => {
    const k = key('plain');
    await post('/', ['set', k, 'héllo', 'ex', 60], { base64: false });
    expect(await post('/', ['get', k], { base64: false })).toEqual({
      status: 200,
      json: { result: 'héllo' },
    });
    expect(await post('/', ['ping'], { base64: false })).toEqual({ status: 200, json: { result: 'PONG' } });
  });

  it('accepts unquoted JSON numbers in a command', async () => {
    const k = key('num');
    expect((await post('/', ['set', k, 41, 'ex', 60])).status).toBe(200);
    expect(await post('/', ['incrby', k, 1])).toEqual({ status: 200, json: { result: 42 } });
    expect(await redis.get(k)).toBe(42);
    expect(await raw.get(k)).toBe('42');
  });

  it('keeps nested arrays (HGETALL, ZRANGE WITHSCORES, Lua tables) and encodes their strings', async () => {
    const h = key('hash');
    const z = key('zset');
    await redis.hset(h, { a: 'x', b: 'ü' });
    await redis.zadd(z, { score: 1.5, member: 'm' }, { score: 3, member: 'n' });
    expect(await post('/', ['hgetall', h])).toEqual({
      status: 200,
      json: { result: [b64('a'), b64('x'), b64('b'), b64('ü')] },
    });
    expect(await redis.hgetall(h)).toEqual({ a: 'x', b: 'ü' });
    expect(await redis.zrange(z, 0, -1, { withScores: true })).toEqual(['m', 1.5, 'n', 3]);
    const lua = await post('/', ['eval', "return {1, 'a', {2, 'OK'}, redis.status_reply('OK')}", 0]);
    expect(lua.json).toEqual({ result: [1, b64('a'), [2, b64('OK')], 'OK'] });
  });

  it('round-trips UTF-8 and binary bytes exactly', async () => {
    const k = key('utf8');
    const text = `nul\u0000 é 中文 🧪 e\u0301 ${'ß'.repeat(40_000)}`;
    await raw.set(k, text, { ex: 60 });
    expect(await raw.get(k)).toBe(text);
    const bytes = await post('/', ['eval', 'return string.char(0, 255, 128, 10)', 0]);
    expect(Buffer.from((bytes.json as { result: string }).result, 'base64')).toEqual(
      Buffer.from([0, 255, 128, 10]),
    );
  });
});

describe('upstash bridge · errors and auth', () => {
  it('passes Redis errors as a JSON body with status 400', async () => {
    const h = key('wrongtype');
    await redis.hset(h, { a: '1' });
    const res = await post('/', ['incr', h]);
    expect(res).toEqual({ status: 400, json: { error: expect.stringMatching(/^WRONGTYPE /) } });
    await expect(redis.incr(h)).rejects.toThrow(/WRONGTYPE/);
    expect(await post('/', 'not json')).toEqual({
      status: 400,
      json: { error: expect.stringMatching(/^ERR /) },
    });
    expect(await post('/', [['nested']])).toEqual({
      status: 400,
      json: { error: expect.stringMatching(/^ERR /) },
    });
    expect((await post('/nope', ['ping'])).status).toBe(404);
  });

  it('answers 401 with a JSON body on every route when the token is wrong or missing', async () => {
    for (const path of ['/', '/pipeline', '/multi-exec', '/nope']) {
      expect(await post(path, [['ping']], { token: 'wrong' })).toEqual({
        status: 401,
        json: { error: 'Unauthorized' },
      });
    }
    const res = await fetch(bridge.url, { method: 'POST', body: '["ping"]' });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: 'Unauthorized' });
    const intruder = new Redis({ url: bridge.url, token: 'wrong', enableTelemetry: false });
    await expect(intruder.ping()).rejects.toThrow(/Unauthorized/);
  });

  it('refuses connection-state, pub/sub and blocking commands before running anything', async () => {
    const k = key('refused');
    for (const command of [
      ['multi'],
      ['select', 1],
      ['subscribe', 'c'],
      ['blpop', k, 0],
      ['xread', 'BLOCK', 0, 'STREAMS', k, '$'],
    ]) {
      expect(await post('/', command)).toEqual({
        status: 400,
        json: { error: expect.stringMatching(/^ERR .*not allowed/) },
      });
    }
    const res = await post('/pipeline', [
      ['set', k, 'x', 'ex', 60],
      ['watch', k],
    ]);
    expect(res).toEqual({ status: 400, json: { error: expect.stringMatching(/^ERR WATCH is not allowed/) } });
    expect(await raw.get(k)).toBeNull();
  });

  it('passes NOSCRIPT word for word, so Script falls back from EVALSHA to EVAL', async () => {
    const res = await post('/', ['evalsha', 'f'.repeat(40), 0]);
    expect(res).toEqual({ status: 400, json: { error: 'NOSCRIPT No matching script. Please use EVAL.' } });
    // A script body no other test has sent, so Redis does not know its sha yet.
    const script = redis.createScript<string>(`return ARGV[1] -- ${randomUUID()}`);
    expect(await script.exec([], ['hi'])).toBe('hi');
    expect(await script.evalsha([], ['again'])).toBe('again');
  });

  it('refuses to start when Redis is unreachable', async () => {
    const port = await freePort();
    await expect(startUpstashBridge({ redisUrl: `redis://127.0.0.1:${port}` })).rejects.toThrow(
      /ECONNREFUSED/,
    );
  });

  it('reads its CLI configuration and names the variable to fix', () => {
    expect(readBridgeConfig({})).toEqual({
      redisUrl: 'redis://127.0.0.1:6379',
      port: 8079,
      token: undefined,
    });
    expect(() => readBridgeConfig({ UPSTASH_BRIDGE_PORT: 'x' })).toThrow(/UPSTASH_BRIDGE_PORT/);
  });
});

describe('upstash bridge · pipeline and multi-exec', () => {
  it('pipeline: each command succeeds or fails on its own, in order', async () => {
    const k = key('pipe');
    const h = key('pipe-hash');
    await redis.hset(h, { a: '1' });
    const results = await redis.pipeline().set(k, 'a', { ex: 60 }).incr(h).get(k).exec({ keepErrors: true });
    expect(results).toEqual([
      { result: 'OK', error: undefined },
      { result: undefined, error: expect.stringMatching(/^WRONGTYPE/) },
      { result: 'a', error: undefined },
    ]);
  });

  it('multi-exec: a runtime error is reported in place and the other commands run', async () => {
    const k = key('multi-runtime');
    const h = key('multi-hash');
    await redis.hset(h, { a: '1' });
    const res = await post('/multi-exec', [
      ['set', k, 'a', 'ex', 60],
      ['incr', h],
      ['get', k],
    ]);
    expect(res).toEqual({
      status: 200,
      json: [{ result: 'OK' }, { error: expect.stringMatching(/^WRONGTYPE/) }, { result: b64('a') }],
    });
  });

  it('multi-exec: a command that cannot be queued aborts the whole transaction', async () => {
    const k = key('multi-abort');
    const res = await post('/multi-exec', [['set', k, 'a', 'ex', 60], ['get']]);
    expect(res).toEqual({
      status: 400,
      json: { error: expect.stringMatching(/^EXECABORT .*wrong number of arguments/) },
    });
    expect(await raw.get(k)).toBeNull();
    await expect(redis.multi().set(k, 'b').exec()).resolves.toEqual(['OK']);
  });

  it('multi-exec is isolated: no other command runs between its commands', async () => {
    const k = key('multi-isolated');
    const runs = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        i % 2 === 0
          ? redis.multi().incr(k).get(k).exec<[number, number]>()
          : redis.incr(k).then((n) => [n, n] as [number, number]),
      ),
    );
    for (const [incremented, read] of runs) expect(read).toBe(incremented);
    expect(new Set(runs.map(([n]) => n)).size).toBe(30);
  });
});

describe('upstash bridge · its Redis restarting', () => {
  it('answers again within 250 ms of a restarted Redis accepting connections, after a 2 s outage', async () => {
    // A throwaway Redis: killing the shared one would break every other test on the machine.
    const server = await startRedisServer();
    const own = await startUpstashBridge({ redisUrl: server.url });
    const ping = () =>
      fetch(`${own.url}/`, {
        method: 'POST',
        headers: { authorization: `Bearer ${own.token}` },
        body: '["ping"]',
      }).then((res) => res.status);
    try {
      expect(await ping()).toBe(200);
      await server.kill();
      expect(await ping()).not.toBe(200);
      // Long enough for an exponential backoff to stretch past a second (the one this replaces).
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      await server.restart();
      const back = performance.now();
      while ((await ping()) !== 200 && performance.now() - back < 5_000) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      expect(performance.now() - back).toBeLessThan(250);
    } finally {
      await own.close();
      await server.stop();
    }
  });
});
