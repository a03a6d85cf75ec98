/**
 * chdb-http keeps each request's settings, parameters and `SET`s to itself (chDB's `SET` sticks to
 * its connection), deduplicates retried inserts like a server, and keeps `session_id` state.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClickHouseError, type ClickHouseSettings, createClient } from '@clickhouse/client-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChdbFetch, createChdbFetch } from '../../infra/chdb-http/index.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'strata-chdb-iso-'));
let chdbFetch: ChdbFetch;
let client: ReturnType<typeof createClient>;
const rows = [
  { run_id: 'r1', seq: 1 },
  { run_id: 'r2', seq: 2 },
];

beforeAll(() => {
  chdbFetch = createChdbFetch({ dataDir });
  client = createClient({ url: 'http://chdb.local', fetch: chdbFetch });
});

afterAll(async () => {
  await client?.close();
  await chdbFetch?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Plain MergeTree deduplicates only with a window; without one every test here would pass vacuously. */
async function dedupTable(name: string, window = true): Promise<void> {
  const settings = window ? 'SETTINGS non_replicated_deduplication_window = 100' : '';
  await client.command({
    query: `CREATE TABLE ${name} (run_id String, seq UInt32) ENGINE = MergeTree ORDER BY run_id ${settings}`,
  });
}

/** The single value of `SELECT <expr> AS v [FROM …]`. */
async function scalar(expr: string, from = '', c = client): Promise<unknown> {
  const query = `SELECT ${expr} AS v ${from}`;
  const [row] = await (await c.query({ query, format: 'JSONEachRow' })).json<{ v: unknown }>();
  return row?.v;
}

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  return p.then(
    () => undefined,
    (e: unknown) => (e instanceof ClickHouseError ? e.code : String(e)),
  );
}

describe('chdb-http request isolation', () => {
  it('does not let a deduplication token on one insert drop a later plain insert of the same rows', async () => {
    await dedupTable('leak');
    const token = { insert_deduplication_token: 'run-A' };
    await client.insert({ table: 'leak', values: rows, format: 'JSONEachRow', clickhouse_settings: token });
    await client.insert({ table: 'leak', values: rows, format: 'JSONEachRow' });
    expect(await scalar('count()', 'FROM leak')).toBe(4);
  });

  it('does not duplicate an insert retried with the same token', async () => {
    await dedupTable('retry');
    for (let attempt = 0; attempt < 3; attempt++) {
      const clickhouse_settings = { insert_deduplication_token: 'run-B' };
      await client.insert({ table: 'retry', values: rows, format: 'JSONEachRow', clickhouse_settings });
    }
    expect(await scalar('count()', 'FROM retry')).toBe(2);
  });

  it('scopes URL settings, query parameters and SET statements to their own request', async () => {
    const tooMany = { max_result_rows: '1', result_overflow_mode: 'throw' } as const;
    const q = 'SELECT number FROM numbers(3)';
    expect(await codeOf(client.query({ query: q, clickhouse_settings: tooMany }))).toBe('396');
    expect(await (await client.query({ query: q, format: 'JSONEachRow' })).json()).toHaveLength(3);

    await client.command({ query: "SET max_result_rows = 1, result_overflow_mode = 'throw'" });
    expect(await (await client.query({ query: q, format: 'JSONEachRow' })).json()).toHaveLength(3);

    expect(
      await client.query({ query: 'SELECT {x:String}', query_params: { x: 'once' } }).then(() => 'ok'),
    ).toBe('ok');
    expect(await codeOf(client.query({ query: 'SELECT {x:String}' }))).toBe('456');
  });

  it('applies the database parameter to its own request only', async () => {
    await client.command({ query: 'CREATE DATABASE archive' });
    const inArchive = createClient({ url: 'http://chdb.local', fetch: chdbFetch, database: 'archive' });
    expect(await scalar('currentDatabase()', '', inArchive)).toBe('archive');
    expect(await scalar('currentDatabase()')).toBe('default');
    await inArchive.close();
  });

  it('keeps SET and temporary tables within a session_id, and restores URL settings there', async () => {
    const session = createClient({ url: 'http://chdb.local', fetch: chdbFetch, session_id: 'strata-s1' });
    await session.command({ query: 'SET max_result_rows = 7' });
    await session.command({ query: 'CREATE TEMPORARY TABLE scratch (x UInt8)' });
    await session.insert({ table: 'scratch', values: [[1], [2]] });
    expect(await scalar("getSetting('max_result_rows')", '', session)).toBe(7);
    const once = await session.query({
      query: "SELECT getSetting('max_result_rows') AS v",
      format: 'JSONEachRow',
      clickhouse_settings: { max_result_rows: '9' },
    });
    expect(await once.json()).toEqual([{ v: 9 }]);
    expect(await scalar("getSetting('max_result_rows')", '', session)).toBe(7);
    expect(await scalar('count()', 'FROM scratch', session)).toBe(2);
    expect(await scalar("getSetting('max_result_rows')")).toBe(0);
    expect(await codeOf(client.query({ query: 'SELECT * FROM scratch' }))).toBe('60');
    // session_check=1 is a URL parameter of the server, sent here the only way client-web can.
    const check = { session_check: 1 } as ClickHouseSettings;
    const query = client.query({ query: 'SELECT 1', session_id: 'never-opened', clickhouse_settings: check });
    expect(await codeOf(query)).toBe('372');
    await session.close();
  });

  /*
   * What chDB 26.7 does with a retried tokened insert into a table feeding materialized views
   * (verified here): the view's target table is deduplicated only when BOTH hold —
   *   1. the target has its own `non_replicated_deduplication_window`, and
   *   2. `deduplicate_blocks_in_dependent_materialized_views = 1` (the default in 26.7).
   * A target without a window double-counts every retry, whatever the setting; with
   * the setting at 0 even a target with a window double-counts.
   */
  it('deduplicates a retried insert in a materialized view target only when the target has its own window', async () => {
    await dedupTable('src');
    const target = (name: string, window: boolean) =>
      client.command({
        query: `CREATE TABLE ${name} (run_id String, n UInt64) ENGINE = SummingMergeTree ORDER BY run_id
                ${window ? 'SETTINGS non_replicated_deduplication_window = 100' : ''}`,
      });
    await target('per_run', true);
    await target('per_run_nowin', false);
    const view = 'AS SELECT run_id, count() AS n FROM src GROUP BY run_id';
    await client.command({ query: `CREATE MATERIALIZED VIEW per_run_mv TO per_run ${view}` });
    await client.command({ query: `CREATE MATERIALIZED VIEW per_run_nowin_mv TO per_run_nowin ${view}` });
    const insert = (token: string, dependent: 0 | 1) =>
      client.insert({
        table: 'src',
        values: rows,
        format: 'JSONEachRow',
        clickhouse_settings: {
          insert_deduplication_token: token,
          deduplicate_blocks_in_dependent_materialized_views: dependent,
        },
      });
    await insert('mv-1', 1);
    await insert('mv-1', 1);
    expect(await scalar('count()', 'FROM src')).toBe(2);
    expect(await scalar('sum(n)', 'FROM per_run')).toBe(2);
    expect(await scalar('sum(n)', 'FROM per_run_nowin')).toBe(4);

    await insert('mv-2', 0);
    await insert('mv-2', 0);
    expect(await scalar('count()', 'FROM src')).toBe(4);
    expect(await scalar('sum(n)', 'FROM per_run')).toBe(6);
  });
});
