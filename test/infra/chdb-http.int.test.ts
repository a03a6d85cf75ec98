/**
 * chdb-http through the real `@clickhouse/client-web`: the production client code path against
 * chDB. Deduplication, leaks and sessions: chdb-http-isolation.int.test.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClickHouseError, type ClickHouseSettings, createClient } from '@clickhouse/client-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChdbFetch, createChdbFetch, startChdbHttpServer } from '../../infra/chdb-http/index.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'strata-chdb-http-'));
let chdbFetch: ChdbFetch;
let client: ReturnType<typeof createClient>;

beforeAll(async () => {
  chdbFetch = createChdbFetch({ dataDir });
  client = createClient({ url: 'http://chdb.local', fetch: chdbFetch });
  await client.command({
    query: `CREATE TABLE events (run_id String, ts DateTime64(3), seq UInt32, payload String CODEC(ZSTD(3)))
            ENGINE = MergeTree PARTITION BY toYYYYMM(ts) ORDER BY (run_id, ts)`,
  });
  await client.insert({
    table: 'events',
    format: 'JSONEachRow',
    values: [
      { run_id: 'r1', ts: '2024-01-31 23:59:59.999', seq: 1, payload: 'a' },
      { run_id: 'r1', ts: '2024-02-01 00:00:00.000', seq: 2, payload: 'b' },
      { run_id: 'r2', ts: '2024-03-15 12:00:00.500', seq: 3, payload: 'c' },
    ],
  });
});

afterAll(async () => {
  await client?.close();
  await chdbFetch?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function expectCode(p: Promise<unknown>, code: string): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ClickHouseError);
  expect((err as ClickHouseError).code).toBe(code);
}

describe('chdb-http with @clickhouse/client-web', () => {
  it('answers an empty result without hanging the client', async () => {
    const rs = await client.query({
      query: "SELECT * FROM events WHERE run_id = 'nobody'",
      format: 'JSONEachRow',
    });
    expect(await rs.json()).toEqual([]);
  }, 5_000);

  it('answers ping (client and GET /ping)', async () => {
    expect(await client.ping()).toEqual({ success: true });
    expect(await (await chdbFetch('http://chdb.local/ping')).text()).toBe('Ok.\n');
  });

  it('stores a month-partitioned table with a ZSTD column', async () => {
    const parts = await client.query({
      query:
        "SELECT DISTINCT partition FROM system.parts WHERE table = 'events' AND active ORDER BY partition",
      format: 'JSONEachRow',
    });
    expect(await parts.json()).toEqual([
      { partition: '202401' },
      { partition: '202402' },
      { partition: '202403' },
    ]);
    const codec = await client.query({
      query: "SELECT compression_codec FROM system.columns WHERE table = 'events' AND name = 'payload'",
      format: 'JSONEachRow',
    });
    expect(await codec.json()).toEqual([{ compression_codec: 'CODEC(ZSTD(3))' }]);
  });

  it('reads rows back in JSONEachRow, JSON, JSONCompactEachRow, TabSeparated and CSV', async () => {
    const query = 'SELECT run_id, seq FROM events ORDER BY seq';
    expect(await (await client.query({ query, format: 'JSONEachRow' })).json()).toEqual([
      { run_id: 'r1', seq: 1 },
      { run_id: 'r1', seq: 2 },
      { run_id: 'r2', seq: 3 },
    ]);
    const json = await (await client.query({ query, format: 'JSON' })).json<{ run_id: string }>();
    expect(json.rows).toBe(3);
    expect(json.meta).toEqual([
      { name: 'run_id', type: 'String' },
      { name: 'seq', type: 'UInt32' },
    ]);
    expect(await (await client.query({ query, format: 'JSONCompactEachRow' })).json()).toEqual([
      ['r1', 1],
      ['r1', 2],
      ['r2', 3],
    ]);
    expect(await (await client.query({ query, format: 'TabSeparated' })).text()).toBe(
      'r1\t1\nr1\t2\nr2\t3\n',
    );
    const csv = await client.query({ query, format: 'CSV' });
    expect(csv.response_headers['x-clickhouse-format']).toBe('CSV');
    const streamed: string[] = [];
    const reader = csv.stream().getReader();
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      for (const row of chunk.value) streamed.push(row.text);
    }
    expect(streamed).toEqual(['"r1",1', '"r1",2', '"r2",3']);
  });

  it('inserts arrays of arrays in the client default format and reports written rows', async () => {
    await client.command({
      query: 'CREATE TABLE compact (k String, v UInt32) ENGINE = MergeTree ORDER BY k',
    });
    const res = await client.insert({
      table: 'compact',
      values: [
        ['x', 1],
        ['y', 2],
      ],
    });
    expect(JSON.parse(res.response_headers['x-clickhouse-summary'] as string).written_rows).toBe('2');
    const rows = await client.query({ query: 'SELECT k, v FROM compact ORDER BY k', format: 'JSONEachRow' });
    expect(await rows.json()).toEqual([
      { k: 'x', v: 1 },
      { k: 'y', v: 2 },
    ]);
  });

  it.each([false, true])('binds typed query parameters (multipart: %s)', async (use_multipart_params) => {
    const tricky = "it's a \\ back\tslash\nline";
    const res = await client.query({
      query: `SELECT {s:String} AS s, {n:UInt32} + 1 AS n, {d:DateTime64(3)} AS d, {a:Array(String)} AS a,
              {ns:Array(UInt32)} AS ns, {z:Nullable(String)} AS z,
              (SELECT count() FROM events WHERE run_id = {id:String} AND ts >= {since:DateTime64(3)}) AS c`,
      query_params: {
        s: tricky,
        n: 41,
        d: new Date('2024-05-06T07:08:09.123Z'),
        a: [tricky, "'"],
        ns: [1, 2],
        z: null,
        id: 'r1',
        since: new Date('2024-02-01T00:00:00.000Z'),
      },
      format: 'JSONEachRow',
      use_multipart_params,
    });
    expect(await res.json()).toEqual([
      { s: tricky, n: 42, d: '2024-05-06 07:08:09.123', a: [tricky, "'"], ns: [1, 2], z: null, c: 1 },
    ]);
  });

  it('raises ClickHouseError with the server code and status', async () => {
    await expectCode(client.query({ query: 'SELECT * FROM no_such_table' }), '60');
    await expectCode(client.query({ query: 'SELEC 1' }), '62');
    const badRow = [{ run_id: 'r9', ts: 'not a time', seq: 1, payload: '' }];
    await expectCode(client.insert({ table: 'events', values: badRow, format: 'JSONEachRow' }), '41');
    await expectCode(
      client.query({ query: 'SELECT 1', clickhouse_settings: { no_such_setting: 1 } as ClickHouseSettings }),
      '115',
    );
    const res = await chdbFetch('http://chdb.local/?query=SELECT%20*%20FROM%20no_such_table');
    expect(res.status).toBe(404);
    expect(res.headers.get('x-clickhouse-exception-code')).toBe('60');
    expect(await res.text()).toMatch(/^Code: 60\. DB::Exception: .+\(UNKNOWN_TABLE\) \(version \d+\.\d+/);
  });

  it('refuses a multi-statement request and runs none of it', async () => {
    await client.command({ query: 'CREATE TABLE multi (x UInt8) ENGINE = MergeTree ORDER BY x' });
    await expectCode(client.command({ query: 'INSERT INTO multi VALUES (1); DROP TABLE multi' }), '62');
    await expectCode(client.exec({ query: 'SELECT 1; SELECT 2' }), '62');
    const left = await client.query({
      query: "SELECT count() AS n, 'a;b' AS s FROM multi",
      format: 'JSONEachRow',
    });
    expect(await left.json()).toEqual([{ n: 0, s: 'a;b' }]);
  });

  it('serves 20 concurrent queries, each with its own parameters', async () => {
    const answers = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const rs = await client.query({
          query: 'SELECT {i:UInt32} AS i, count() AS n FROM events WHERE seq <= {i:UInt32}',
          query_params: { i },
          format: 'JSONEachRow',
        });
        return rs.json<{ i: number; n: number }>();
      }),
    );
    expect(answers.map((rows) => rows[0])).toEqual(
      Array.from({ length: 20 }, (_, i) => ({ i, n: Math.min(i, 3) })),
    );
  });

  it('skips a queued request that was aborted, and keeps serving', async () => {
    await client.command({ query: 'CREATE TABLE aborted (x UInt8) ENGINE = MergeTree ORDER BY x' });
    const slow = client.query({ query: 'SELECT sleep(0.5) AS s', format: 'JSONEachRow' });
    const abort = new AbortController();
    const queued = client.insert({ table: 'aborted', values: [[1]], abort_signal: abort.signal });
    // client-web only listens to the signal once its fetch is under way: abort after that.
    await new Promise((resolve) => setTimeout(resolve, 100));
    abort.abort();
    await expect(queued).rejects.toThrow(/aborted/);
    await (await slow).json();
    const rows = await client.query({ query: 'SELECT count() AS n FROM aborted', format: 'JSONEachRow' });
    expect(await rows.json()).toEqual([{ n: 0 }]);
  });

  it('serves the same engine on a loopback port for the client and plain fetch', async () => {
    const server = await startChdbHttpServer({ dataDir });
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const remote = createClient({ url: server.url });
      expect(await remote.ping()).toEqual({ success: true });
      await remote.insert({ table: 'compact', values: [{ k: 'z', v: 3 }], format: 'JSONEachRow' });
      const rs = await remote.query({ query: 'SELECT sum(v) AS s FROM compact', format: 'JSONEachRow' });
      expect(await rs.json()).toEqual([{ s: 6 }]);
      await remote.close();
      expect(await (await fetch(`${server.url}/ping`)).text()).toBe('Ok.\n');
      const res = await fetch(`${server.url}/?default_format=JSONCompactEachRow`, {
        method: 'POST',
        body: 'SELECT 1',
      });
      expect(res.headers.get('x-clickhouse-format')).toBe('JSONCompactEachRow');
      expect(await res.text()).toBe('[1]\n');
      const bad = await fetch(`${server.url}/?query=SELECT%201;SELECT%202`);
      expect([bad.status, bad.headers.get('x-clickhouse-exception-code')]).toEqual([400, '62']);
    } finally {
      await server.close();
    }
  });
});
