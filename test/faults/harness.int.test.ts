/** Proves each fault of test/support/faults with the real clients Strata uses (node-redis, pg). */
import { connect } from 'node:net';
import pg from 'pg';
import { createClient } from 'redis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type FaultProxy,
  type PostgresCluster,
  type RedisServer,
  startFaultProxy,
  startPostgresCluster,
  startRedisServer,
} from '../support/faults/index.ts';
import { sleep, waitFor } from '../support/faults/process.ts';

const LOOPBACK = '127.0.0.1';
const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  // Clients first (newest first), bounded: pg's end() can hang once the server is gone.
  for (const cleanup of cleanups.splice(0).reverse()) {
    await Promise.race([Promise.resolve(cleanup()).catch(() => {}), sleep(2_000)]);
  }
});

function redisClient(url: string, socketTimeout?: number) {
  const client = createClient({
    url,
    RESP: 2,
    // Fail commands while disconnected instead of queueing them: a fault must be visible at once.
    disableOfflineQueue: true,
    disableClientInfo: true,
    socket: {
      connectTimeout: 1_000,
      reconnectStrategy: (retries) => (retries < 40 ? 50 : false),
      ...(socketTimeout === undefined ? {} : { socketTimeout }),
    },
  });
  client.on('error', () => {}); // asserted on the commands; an unhandled 'error' event would crash the worker
  cleanups.push(() => client.destroy());
  return client;
}

async function elapsed(work: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await work();
  return performance.now() - start;
}

function tcpConnect(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: LOOPBACK, port });
    socket.once('connect', () => resolve(socket.destroy() && undefined));
    socket.once('error', reject);
  });
}

describe('fault proxy in front of redis-server (node-redis)', () => {
  let redis: RedisServer;
  let proxy: FaultProxy;
  let url: string;
  beforeAll(async () => {
    redis = await startRedisServer();
    proxy = await startFaultProxy({ target: { host: LOOPBACK, port: redis.port } });
    url = `redis://${LOOPBACK}:${proxy.port}`;
  });
  // A failed test must not leave its fault in place for the next one.
  afterEach(() => proxy?.restore());
  afterAll(async () => {
    await proxy?.close();
    await redis?.stop();
  });

  it('forwards commands and counts the traffic', async () => {
    const client = await redisClient(url).connect();
    expect(await client.ping()).toBe('PONG');
    expect(proxy.stats()).toMatchObject({ connections: 1, active: 1 });
    expect(proxy.stats().bytesUp).toBeGreaterThan(0);
    expect(proxy.stats().bytesDown).toBeGreaterThan(0);
  });

  it('cut: commands fail fast and new connections are refused; restore: the client reconnects', async () => {
    const client = await redisClient(url).connect();
    proxy.cut();
    expect(await elapsed(() => expect(client.ping()).rejects.toThrow())).toBeLessThan(1_000);
    await expect(tcpConnect(proxy.port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await proxy.restore();
    await waitFor('client reconnected', async () => client.isReady, { timeoutMs: 3_000 });
    expect(await client.ping()).toBe('PONG');
  });

  it('delay: every chunk waits in both directions; restore removes it', async () => {
    const client = await redisClient(url).connect();
    proxy.delay(200);
    const slow = await elapsed(() => client.ping());
    expect(slow).toBeGreaterThanOrEqual(390); // 200 ms up + 200 ms down
    expect(slow).toBeLessThan(2_000);
    await proxy.restore();
    expect(await elapsed(() => client.ping())).toBeLessThan(200); // below even one leg of the delay
  });

  it('blackhole: a command with a 300 ms timeout fails; restore: traffic flows again', async () => {
    const client = await redisClient(url, 300).connect();
    proxy.blackhole();
    const took = await elapsed(() => expect(client.ping()).rejects.toThrow(/timeout/i));
    expect(took).toBeGreaterThanOrEqual(250);
    expect(took).toBeLessThan(2_000);
    await tcpConnect(proxy.port); // still accepting: the handshake succeeds, then silence
    await proxy.restore();
    expect(await (await redisClient(url).connect()).ping()).toBe('PONG');
  });

  it('reset: an in-flight command fails with a reset; new connections still work', async () => {
    const client = await redisClient(url).connect();
    const blocked = client.blPop('faults:never-pushed', 5); // parks at the server: truly in flight
    await sleep(100);
    proxy.reset();
    await expect(blocked).rejects.toThrow(/ECONNRESET/);
    expect(await (await redisClient(url).connect()).ping()).toBe('PONG');
  });
});

describe('throwaway redis-server', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('kill(SIGKILL) makes commands fail; restart brings back an empty server on the same port', async () => {
    const client = await redisClient(redis.url).connect();
    await client.set('faults:key', 'value');
    const crashedPid = redis.pid;
    await redis.kill('SIGKILL');
    await expect(client.get('faults:key')).rejects.toThrow();
    await redis.restart();
    expect(redis.pid).not.toBe(crashedPid);
    const fresh = await redisClient(redis.url).connect();
    expect(await fresh.get('faults:key')).toBeNull();
    expect(await fresh.dbSize()).toBe(0);
  });
});

describe('throwaway Postgres cluster behind the fault proxy (pg)', () => {
  let cluster: PostgresCluster;
  let proxy: FaultProxy;
  beforeAll(async () => {
    cluster = await startPostgresCluster();
    proxy = await startFaultProxy({ target: { host: LOOPBACK, port: cluster.port } });
  });
  afterAll(async () => {
    try {
      await proxy?.close();
    } finally {
      await cluster?.destroy();
    }
  });

  async function pgClient(): Promise<pg.Client> {
    const client = new pg.Client({
      connectionString: `postgres://postgres@${LOOPBACK}:${proxy.port}/postgres`,
      connectionTimeoutMillis: 2_000,
    });
    client.on('error', () => {}); // a crash surfaces on the query; the event alone must not crash the worker
    cleanups.push(() => client.end());
    await client.connect();
    return client;
  }
  const ids = async () => (await (await pgClient()).query('SELECT id FROM faults ORDER BY id')).rows;

  it('answers queries through the proxy', async () => {
    const client = await pgClient();
    await client.query('CREATE TABLE faults (id int PRIMARY KEY)');
    expect((await client.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  });

  it('stopImmediate: queries fail; start: committed rows survive', async () => {
    const client = await pgClient();
    await client.query('INSERT INTO faults VALUES (1)'); // autocommit: committed when it returns
    await cluster.stopImmediate();
    await expect(client.query('SELECT 1')).rejects.toThrow();
    await expect(pgClient()).rejects.toThrow();
    await cluster.start();
    expect(await ids()).toEqual([{ id: 1 }]);
  });

  it('kill9: queries fail; start: committed rows survive, uncommitted ones are gone', async () => {
    const client = await pgClient();
    await client.query('INSERT INTO faults VALUES (2)');
    const open = await pgClient();
    await open.query('BEGIN');
    await open.query('INSERT INTO faults VALUES (3)');
    await cluster.kill9();
    await expect(client.query('SELECT 1')).rejects.toThrow();
    await expect(pgClient()).rejects.toThrow();
    await cluster.start();
    expect(await ids()).toEqual([{ id: 1 }, { id: 2 }]);
  });
});
