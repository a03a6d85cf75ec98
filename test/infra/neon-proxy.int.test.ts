/** infra/neon-proxy with the real Neon driver (WebSocket and HTTP modes) against the machine's Postgres. */
import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { neon, Pool, type PoolClient } from '@neondatabase/serverless';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { type NeonProxy, startNeonProxy } from '../../infra/neon-proxy/server.ts';
import { configureNeon } from '../../lib/tiers/durable/neon-local.ts';
import { createScratchDatabase, type ScratchDatabase } from '../support/scratch-database.ts';

let proxy: NeonProxy;
let db: ScratchDatabase;
/** A TCP server that records what it receives and never closes a connection itself. */
let fake: { server: Server; port: number; sockets: Socket[] };

/** `end()` of the driver can hang when the other side is gone: never wait on it for long. */
const settle = (p: Promise<unknown>, ms = 2_000) =>
  Promise.race([p.catch(() => {}), new Promise((r) => setTimeout(r, ms))]);
const within = <T>(p: Promise<T>, what: string, ms = 3_000) =>
  Promise.race([
    p,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no ${what} in ${ms} ms`)), ms)),
  ]);
const waitFor = async (check: () => boolean | Promise<boolean>, what: string) => {
  for (let i = 0; i < 100; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
};

beforeAll(async () => {
  const server = createServer();
  const sockets: Socket[] = [];
  server.on('connection', (socket) => sockets.push(socket.on('error', () => {})));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  fake = { server, port: typeof address === 'object' && address ? address.port : 0, sockets };
  proxy = await startNeonProxy({ allowedTargets: ['127.0.0.1:5432', `127.0.0.1:${fake.port}`] });
  configureNeon(`127.0.0.1:${proxy.port}`);
  db = await createScratchDatabase('strata_proxy');
});

afterAll(async () => {
  for (const socket of fake?.sockets ?? []) socket.destroy();
  fake?.server.close();
  await proxy?.close();
  await db?.drop();
});

describe('WebSocket mode', () => {
  it('a Pool gets several distinct backends', async () => {
    const pool = new Pool({ connectionString: db.url, max: 5 });
    const clients: PoolClient[] = [];
    try {
      for (let i = 0; i < 5; i++) clients.push(await pool.connect());
      const pids = await Promise.all(
        clients.map(async (c) => (await c.query('select pg_backend_pid() as pid')).rows[0].pid),
      );
      expect(new Set(pids).size).toBe(5);
    } finally {
      for (const c of clients) c.release();
      await settle(pool.end());
    }
  });

  it('rolls a transaction back', async () => {
    const pool = new Pool({ connectionString: db.url, max: 1 });
    try {
      await pool.query('create table rollback_probe (id int primary key)');
      const client = await pool.connect();
      await client.query('begin');
      await client.query('insert into rollback_probe values (1), (2)');
      expect((await client.query('select count(*)::int as n from rollback_probe')).rows[0].n).toBe(2);
      await client.query('rollback');
      client.release();
      expect((await pool.query('select count(*)::int as n from rollback_probe')).rows[0].n).toBe(0);
    } finally {
      await settle(pool.end());
    }
  });

  it('SELECT … FOR UPDATE serialises two writers', async () => {
    const pool = new Pool({ connectionString: db.url, max: 2 });
    try {
      await pool.query('create table counter (id int primary key, n int not null)');
      await pool.query('insert into counter values (1, 0)');
      const [a, b] = [await pool.connect(), await pool.connect()];
      const events: string[] = [];
      await a.query('begin');
      await a.query('select n from counter where id = 1 for update');
      await b.query('begin');
      const bRead = b.query('select n from counter where id = 1 for update').then((r) => {
        events.push('b read');
        return r.rows[0].n as number;
      });
      await new Promise((r) => setTimeout(r, 150));
      events.push('a commits');
      await a.query('update counter set n = n + 1 where id = 1');
      await a.query('commit');
      expect(await bRead).toBe(1); // b waited for a, then saw a's write
      await b.query('update counter set n = $1 where id = 1', [(await bRead) + 1]);
      await b.query('commit');
      a.release();
      b.release();
      expect(events).toEqual(['a commits', 'b read']);
      expect((await pool.query('select n from counter')).rows[0].n).toBe(2);
    } finally {
      await settle(pool.end());
    }
  });

  it('refuses a target that is not on the allow list', async () => {
    const pool = new Pool({ connectionString: 'postgres://postgres@127.0.0.1:5433/postgres', max: 1 });
    await expect(pool.query('select 1')).rejects.toThrow();
    await settle(pool.end());
    const ws = new WebSocket(`ws://127.0.0.1:${proxy.port}/v1?address=127.0.0.2:5432`);
    ws.on('error', () => {}); // dropping a refused handshake is reported as an error; it is the expected end
    const [request, response] = await once(ws, 'unexpected-response');
    expect(response.statusCode).toBe(403);
    request.destroy();
  });
});

describe('closing the pair on Terminate', () => {
  const startup = () => {
    const params = Buffer.from('user\0postgres\0\0');
    const head = Buffer.alloc(8);
    head.writeInt32BE(8 + params.length, 0);
    head.writeInt32BE(196_608, 4);
    return Buffer.concat([head, params]);
  };
  const typed = (type: string, body: Buffer) => {
    const head = Buffer.alloc(5);
    head.write(type, 0);
    head.writeInt32BE(4 + body.length, 1);
    return Buffer.concat([head, body]);
  };

  it('closes both sides when Terminate arrives, even split across frames, and not before', async () => {
    const before = fake.sockets.length;
    const ws = new WebSocket(`ws://127.0.0.1:${proxy.port}/v1?address=127.0.0.1:${fake.port}`);
    await once(ws, 'open');
    // A query whose text contains 'X' bytes must not be mistaken for Terminate.
    const stream = Buffer.concat([startup(), typed('Q', Buffer.from('select 1 -- XXXX\0'))]);
    ws.send(stream);
    await waitFor(() => fake.sockets.length > before, 'the proxy to connect');
    const target = fake.sockets.at(-1) as Socket;
    const received: Buffer[] = [];
    target.on('data', (d) => received.push(d));
    await waitFor(() => Buffer.concat(received).length === stream.length, 'the bytes to arrive');
    await new Promise((r) => setTimeout(r, 100));
    expect(ws.readyState).toBe(WebSocket.OPEN);
    expect(proxy.openTunnels).toBe(1);

    const targetEnded = once(target, 'end');
    const wsClosed = once(ws, 'close');
    const terminate = typed('X', Buffer.alloc(0));
    ws.send(terminate.subarray(0, 2));
    ws.send(terminate.subarray(2));
    await within(Promise.all([targetEnded, wsClosed]), 'close of both sides');
    expect(Buffer.concat(received).subarray(-5)).toEqual(terminate);
    expect(proxy.openTunnels).toBe(0);
  });

  it("the driver's end() frees the backend and the tunnel", async () => {
    const pool = new Pool({ connectionString: db.url, max: 1 });
    const pid = (await pool.query('select pg_backend_pid() as pid')).rows[0].pid as number;
    expect(proxy.openTunnels).toBeGreaterThan(0);
    await settle(pool.end());
    await waitFor(() => proxy.openTunnels === 0, 'the tunnel to close');
    const sql = neon(db.url);
    const alive = async () =>
      (await sql`select count(*)::int as n from pg_stat_activity where pid = ${pid}`)[0]?.n;
    await waitFor(async () => (await alive()) === 0, 'the backend to exit');
  });
});

describe('HTTP mode (POST /sql)', () => {
  it('answers one query with raw text values the driver parses', async () => {
    const sql = neon(db.url, { fullResults: true });
    const res =
      await sql`select 1::int as one, ${'é🌍'}::text as t, null::text as n, 9007199254740993::int8 as big`;
    expect(res.command).toBe('SELECT');
    expect(res.rowCount).toBe(1);
    expect(res.rows).toEqual([{ one: 1, t: 'é🌍', n: null, big: '9007199254740993' }]);
    expect(res.fields.map((f) => f.name)).toEqual(['one', 't', 'n', 'big']);
  });

  it('runs a batch in one transaction: a failing statement rolls all of it back', async () => {
    const sql = neon(db.url);
    await sql`create table batch_probe (id int primary key)`;
    const ok = await sql.transaction([
      sql`insert into batch_probe values (1)`,
      sql`select count(*)::int as n from batch_probe`,
    ]);
    expect(ok[1]).toEqual([{ n: 1 }]);
    const failed = sql.transaction([
      sql`insert into batch_probe values (2)`,
      sql`insert into batch_probe values (1)`,
    ]);
    await expect(failed).rejects.toMatchObject({ code: '23505', constraint: 'batch_probe_pkey' });
    expect(await sql`select id from batch_probe order by id`).toEqual([{ id: 1 }]);
  });

  it('honours the batch isolation level and read-only flag', async () => {
    const sql = neon(db.url);
    const [level] = await sql.transaction([sql`show transaction_isolation`], {
      isolationLevel: 'Serializable',
    });
    expect(level).toEqual([{ transaction_isolation: 'serializable' }]);
    const readOnly = sql.transaction([sql`create table never_made (id int)`], { readOnly: true });
    await expect(readOnly).rejects.toMatchObject({ code: '25006' });
    // Two statements run between BEGIN and COMMIT, one alone as its own transaction: both under the mode asked.
    const [first, second] = await sql.transaction(
      [sql`show transaction_isolation`, sql`show transaction_read_only`],
      { isolationLevel: 'RepeatableRead', readOnly: true },
    );
    expect([first, second]).toEqual([
      [{ transaction_isolation: 'repeatable read' }],
      [{ transaction_read_only: 'on' }],
    ]);
    const [alone] = await sql.transaction([sql`show transaction_isolation`], {
      isolationLevel: 'RepeatableRead',
    });
    expect(alone).toEqual([{ transaction_isolation: 'repeatable read' }]);
    // One round trip: a statement alone runs on a connection whose session default is the mode (no BEGIN sent
    // first); in a batch of two, BEGIN sets the mode and the connection keeps the server's default.
    const defaultMode = sql`select current_setting('default_transaction_isolation') as mode`;
    const [own] = await sql.transaction([defaultMode], { isolationLevel: 'RepeatableRead' });
    expect(own).toEqual([{ mode: 'repeatable read' }]);
    const [inBatch] = await sql.transaction([defaultMode, sql`select 1`], {
      isolationLevel: 'RepeatableRead',
    });
    expect(inBatch).toEqual([{ mode: 'read committed' }]);
  });

  it('a batch mode does not outlive its batch: plain queries keep the server defaults', async () => {
    const sql = neon(db.url);
    for (let i = 0; i < 12; i++) {
      await sql.transaction([sql`select 1`], {
        isolationLevel: 'Serializable',
        readOnly: true,
        deferrable: true,
      });
      const [plain] = await sql.transaction([
        sql`show transaction_isolation`,
        sql`show transaction_read_only`,
      ]);
      expect(plain).toEqual([{ transaction_isolation: 'read committed' }]);
      expect(await sql`show transaction_read_only`).toEqual([{ transaction_read_only: 'off' }]);
    }
  });

  it('error bodies are 400 with the Postgres fields', async () => {
    const res = await fetch(`http://127.0.0.1:${proxy.port}/sql`, {
      method: 'POST',
      headers: {
        'Neon-Connection-String': db.url,
        'Neon-Raw-Text-Output': 'true',
        'Neon-Array-Mode': 'true',
      },
      body: JSON.stringify({ query: 'select * from no_such_table', params: [] }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      message: 'relation "no_such_table" does not exist',
      code: '42P01',
      severity: 'ERROR',
      position: '15',
    });
  });

  it('refuses a connection string whose host is not on the allow list', async () => {
    const sql = neon('postgres://postgres@127.0.0.2:5432/postgres');
    await expect(sql`select 1`).rejects.toThrow(/403/);
  });
});
