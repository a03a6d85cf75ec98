/**
 * The production archive tier (`@clickhouse/client-web`) against the ArchiveTier contract, on chDB in process
 * through infra/chdb-http. Plus what only a real engine shows: migrations, partitions and codecs, crashes
 * and lost answers in the middle of a batch, timeouts, and measured write speed and compression.
 * ONE chDB data directory for the whole file: chDB binds one per process.
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { type ClickHouseClient, createClient } from '@clickhouse/client-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChdbFetch, createChdbFetch } from '../../infra/chdb-http/index.ts';
import { TierUnavailable } from '../../lib/errors.ts';
import { createClickHouseArchiveTier } from '../../lib/tiers/archive/clickhouse.ts';
import { CLICKHOUSE_MIGRATIONS_FOLDER, migrateClickHouseArchive } from '../../lib/tiers/archive/migrate.ts';
import { CHECKPOINT_INSERT, columnNames, RUN_INSERT } from '../../lib/tiers/archive/rows.ts';
import { archiveContract, batchOf, checkpoint, id, run, T0 } from '../contracts/archive.contract.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'strata-archive-'));
const url = 'http://chdb.local';
let chdb: ChdbFetch;
/** Decides the fate of each request: pass it on, refuse it unsent, lose its answer, or never answer. */
let fault: (statement: string) => 'pass' | 'refuse' | 'lose-answer' | 'hang' = () => 'pass';

/** chDB's fetch with faults injected where a network would put them. */
const faultyFetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
  const href = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
  // client.insert() sends its statement in the URL, command() and query() in the body.
  const statement =
    new URL(href).searchParams.get('query') ?? (typeof init?.body === 'string' ? init.body : '');
  const what = fault(statement.trimStart());
  if (what === 'refuse') throw new TypeError('fetch failed: connection refused');
  if (what === 'hang') {
    return new Promise<Response>((_, reject) => {
      init?.signal?.addEventListener('abort', () => reject(init.signal?.reason), { once: true });
    });
  }
  const response = await chdb(input, init);
  if (what === 'lose-answer') throw new TypeError('fetch failed: socket hang up');
  return response;
}) as typeof fetch;

let inspect: ClickHouseClient;
/** Rows of a query on the archive database, read beside the tier. */
async function rows<T>(query: string, query_params: Record<string, unknown> = {}): Promise<T[]> {
  return (await (await inspect.query({ query, query_params, format: 'JSON' })).json<T>()).data;
}

beforeAll(async () => {
  chdb = createChdbFetch({ dataDir });
  expect(await migrateClickHouseArchive({ url, fetch: chdb })).toEqual([
    '0001_archive_tables',
    '0002_cost_views',
    '0003_deletion_ledger',
    '0004_delta_chains',
  ]);
  inspect = createClient({ url, fetch: chdb, database: 'strata' });
});

afterAll(async () => {
  await inspect?.close();
  await chdb?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

archiveContract({
  name: 'client-web → chdb-http',
  create: async () => createClickHouseArchiveTier({ url, fetch: chdb }),
});

describe('archive migrations', () => {
  it('are recorded once, and applying them again is a no-op', async () => {
    expect(await migrateClickHouseArchive({ url, fetch: chdb })).toEqual([]);
    const recorded = await rows<{ version: number; name: string }>(
      'SELECT version, name FROM schema_migrations ORDER BY version',
    );
    expect(recorded).toEqual([
      { version: 1, name: 'archive_tables' },
      { version: 2, name: 'cost_views' },
      { version: 3, name: 'deletion_ledger' },
      { version: 4, name: 'delta_chains' },
    ]);
  });

  it('refuse an applied migration that was edited afterwards', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'strata-ch-migrations-'));
    try {
      cpSync(CLICKHOUSE_MIGRATIONS_FOLDER, folder, { recursive: true });
      const options = { url, fetch: chdb, database: 'strata_edited', migrationsFolder: folder };
      expect(await migrateClickHouseArchive(options)).toHaveLength(4);
      writeFileSync(join(folder, '0002_cost_views.sql'), '-- edited\nSELECT 1\n');
      await expect(migrateClickHouseArchive(options)).rejects.toThrow(/0002_cost_views was changed/);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('partition by month and keep the payload under ZSTD', async () => {
    const tier = createClickHouseArchiveTier({ url, fetch: chdb });
    const key = { tenantId: id('t'), runId: id('run') };
    const november = Date.UTC(2026, 10, 2);
    await tier.writeBatch({
      batchId: id('b'),
      runs: [run(key, { completedAt: november })],
      checkpoints: [
        checkpoint(key, 1, 'oct', { savedAt: T0 }),
        checkpoint(key, 2, 'nov', { savedAt: november }),
      ],
    });
    await tier.close();
    const partitions = await rows<{ table: string; partition: string }>(
      `SELECT DISTINCT table, partition FROM system.parts
       WHERE database = 'strata' AND active AND table IN ('archived_runs', 'archived_checkpoints')`,
    );
    expect(partitions).toEqual(
      expect.arrayContaining([
        { table: 'archived_checkpoints', partition: '202610' },
        { table: 'archived_checkpoints', partition: '202611' },
        { table: 'archived_runs', partition: '202611' },
      ]),
    );
    const [payload] = await rows<{ compression_codec: string }>(
      `SELECT compression_codec FROM system.columns
       WHERE database = 'strata' AND table = 'archived_checkpoints' AND name = 'payload'`,
    );
    expect(payload?.compression_codec).toBe('CODEC(ZSTD(3))');
  });

  it('have exactly the columns the archiver writes (a column added to a table must be added to rows.ts)', async () => {
    for (const [table, columns] of [
      ['archived_checkpoints', columnNames(CHECKPOINT_INSERT)],
      ['archived_runs', columnNames(RUN_INSERT)],
    ] as const) {
      const found = await rows<{ name: string }>(
        `SELECT name FROM system.columns WHERE database = 'strata' AND table = '${table}' ORDER BY position`,
      );
      expect(found.map((c) => c.name).sort(), table).toEqual([...columns].sort());
    }
  });
});

describe('archive storage', () => {
  it('answers costs the same before and after the view and the ledger merge', async () => {
    const tier = createClickHouseArchiveTier({ url, fetch: chdb });
    // Held until the first answer is read, so that answer provably comes from unmerged parts.
    await inspect.command({ query: 'SYSTEM STOP MERGES costs_daily' });
    const tenantId = id('t');
    const batch = batchOf(tenantId, 12, 1, (i) => ({ model: `m${i % 2}`, costUsd: 0.05 * (i + 1) }));
    await tier.writeBatch(batch);
    await tier.writeBatch(batch);
    await tier.deleteRun(batch.runs[0] ?? run({ tenantId, runId: 'x' }));
    await tier.deleteRun(batch.runs[1] ?? run({ tenantId, runId: 'x' }));
    const query = { from: T0, to: T0 + 1, groupBy: 'model' } as const;
    const before = await tier.costs(tenantId, query);
    expect(before.map((r) => r.runs)).toEqual([5, 5]);
    // One partition (October 2026) of the view, which other tests write to as well.
    const parts = async () =>
      Number(
        (
          await rows<{ n: number }>(
            `SELECT count() AS n FROM system.parts
             WHERE database = 'strata' AND table = 'costs_daily' AND partition = '202610' AND active`,
          )
        )[0]?.n,
      );
    expect(await parts()).toBeGreaterThan(1);
    await inspect.command({ query: 'SYSTEM START MERGES costs_daily' });
    // OPTIMIZE quietly does nothing while a background merge holds the parts: ask until it has merged.
    for (let i = 0; i < 50 && (await parts()) > 1; i++) {
      await inspect.command({ query: 'OPTIMIZE TABLE costs_daily PARTITION 202610 FINAL' });
    }
    expect(await parts()).toBe(1);
    expect(await tier.costs(tenantId, query)).toEqual(before);
    await tier.close();
  });

  it('drops rows past retainUntil (TTL) and keeps their cost in the views', async () => {
    const tier = createClickHouseArchiveTier({ url, fetch: chdb });
    const tenantId = id('t');
    // TTL has whole-second precision: rows expiring in ~3 s are stored, then dropped once TTL runs.
    const expiry = Date.now() + 3_000;
    const soon = batchOf(tenantId, 2, 2, () => ({ retainUntil: expiry }));
    await tier.writeBatch(soon);
    expect(await tier.totals(tenantId)).toMatchObject({ runs: 2, checkpoints: 4 });
    // Archived after its retention already ended (an archiver backlog longer than the plan's retention).
    const late = {
      ...batchOf(tenantId, 1, 1, () => ({ retainUntil: Date.UTC(2026, 0, 1) })),
      batchId: id('late'),
    };
    await tier.writeBatch({
      ...late,
      runs: late.runs.map((r) => ({ ...r, runId: 'late' })),
      checkpoints: [],
    });
    await new Promise((resolve) => setTimeout(resolve, expiry + 1_100 - Date.now()));
    // A mutation, not OPTIMIZE FINAL: OPTIMIZE quietly does nothing when a background merge holds the parts.
    for (const table of ['archived_runs', 'archived_checkpoints'])
      await inspect.command({ query: `ALTER TABLE ${table} MATERIALIZE TTL SETTINGS mutations_sync = 2` });
    expect(await tier.totals(tenantId)).toMatchObject({ runs: 0, checkpoints: 0 });
    expect(await tier.costs(tenantId, { from: T0, to: T0 + 1, groupBy: 'day' })).toEqual([
      expect.objectContaining({ runs: 3, costUsd: 0.3 }),
    ]);
    await tier.close();
  }, 15_000);
});

describe('archive under faults', () => {
  const tier = () =>
    createClickHouseArchiveTier({ url, fetch: faultyFetch, timeoutMs: 300, writeTimeoutMs: 30_000 });
  afterAll(() => {
    fault = () => 'pass';
  });

  it('a crash between checkpoints and runs: the retry completes the batch, counted once', async () => {
    const archive = tier();
    const tenantId = id('t');
    const batch = batchOf(tenantId, 50, 3);
    fault = (q) => (q.startsWith('INSERT INTO archived_runs') ? 'refuse' : 'pass');
    await expect(archive.writeBatch(batch)).rejects.toBeInstanceOf(TierUnavailable);
    // The runs (the commit marks) are not there, so nothing says these runs are archived.
    expect(await archive.totals(tenantId)).toMatchObject({ runs: 0, checkpoints: 150 });
    fault = () => 'pass';
    expect(await archive.writeBatch(batch)).toEqual({ runs: 50, checkpoints: 150, alreadyArchived: 0 });
    expect(await archive.totals(tenantId)).toMatchObject({ runs: 50, checkpoints: 150, costUsd: 5 });
    await archive.close();
  });

  it('a batch of several chunks that fails half-way is completed by the retry, counted once', async () => {
    const archive = tier();
    const tenantId = id('t');
    // 10,200 checkpoints: two checkpoint chunks (10,000 rows each at most), then the runs.
    const batch = batchOf(tenantId, 3_400, 3);
    let checkpointInserts = 0;
    fault = (q) =>
      q.startsWith('INSERT INTO archived_checkpoints') && ++checkpointInserts === 2 ? 'lose-answer' : 'pass';
    await expect(archive.writeBatch(batch)).rejects.toBeInstanceOf(TierUnavailable);
    fault = (q) => (q.startsWith('INSERT INTO archived_runs') ? 'refuse' : 'pass');
    await expect(archive.writeBatch(batch)).rejects.toBeInstanceOf(TierUnavailable);
    expect(await archive.totals(tenantId)).toMatchObject({ runs: 0, checkpoints: 10_200 });
    fault = () => 'pass';
    expect(await archive.writeBatch(batch)).toEqual({ runs: 3_400, checkpoints: 10_200, alreadyArchived: 0 });
    expect(await archive.totals(tenantId)).toMatchObject({ runs: 3_400, checkpoints: 10_200, costUsd: 340 });
    await archive.close();
  }, 60_000);

  it('an insert that committed but whose answer was lost is not doubled by the retry, nor in the view', async () => {
    const archive = tier();
    const tenantId = id('t');
    const batch = batchOf(tenantId, 40, 2);
    fault = (q) => (q.startsWith('INSERT') ? 'lose-answer' : 'pass');
    await expect(archive.writeBatch(batch)).rejects.toBeInstanceOf(TierUnavailable);
    fault = (q) => (q.startsWith('INSERT INTO archived_runs') ? 'lose-answer' : 'pass');
    await expect(archive.writeBatch(batch)).rejects.toBeInstanceOf(TierUnavailable);
    fault = () => 'pass';
    await archive.writeBatch(batch);
    await archive.writeBatch(batch);
    expect(await archive.totals(tenantId)).toMatchObject({ runs: 40, checkpoints: 80, costUsd: 4 });
    expect(await archive.costs(tenantId, { from: T0, to: T0 + 1, groupBy: 'day' })).toEqual([
      { key: '2026-10-01', runs: 40, inputTokens: 4000, outputTokens: 2000, costUsd: 4 },
    ]);
    await archive.close();
  });

  it('a delete interrupted after the ledger and retried subtracts the cost once', async () => {
    const archive = tier();
    const tenantId = id('t');
    const batch = batchOf(tenantId, 3, 1, () => ({ userId: 'u' }));
    await archive.writeBatch(batch);
    fault = (q) => (q.startsWith('DELETE') ? 'refuse' : 'pass');
    await expect(archive.deleteUser(tenantId, 'u')).rejects.toBeInstanceOf(TierUnavailable);
    fault = () => 'pass';
    // The runs still exist and still count; the ledger already holds them, so the retry does not subtract again.
    expect(await archive.deleteRun(batch.runs[0] ?? run({ tenantId, runId: 'x' }))).toBe(true);
    expect(await archive.deleteUser(tenantId, 'u')).toBe(2);
    expect(await archive.totals(tenantId)).toMatchObject({ runs: 0, costUsd: 0 });
    const [ledger] = await rows<{ n: string; usd: string }>(
      'SELECT count() AS n, sum(cost_usd) AS usd FROM archived_run_deletions WHERE tenant_id = {t:String}',
      { t: tenantId },
    );
    expect([Number(ledger?.n), Number(ledger?.usd)]).toEqual([3, 0.3]);
    expect(await archive.costs(tenantId, { from: T0, to: T0 + 1, groupBy: 'agent' })).toEqual([]);
    await archive.close();
  });

  it('a server that does not answer is TierUnavailable at the deadline; so is a closed tier', async () => {
    const archive = tier();
    fault = () => 'hang';
    const started = Date.now();
    await expect(archive.getRun({ tenantId: 't', runId: 'r' })).rejects.toBeInstanceOf(TierUnavailable);
    expect(Date.now() - started).toBeLessThan(2_000);
    fault = () => 'refuse';
    const error = await archive.ping().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TierUnavailable);
    expect((error as TierUnavailable).cause).toBeInstanceOf(TypeError);
    fault = () => 'pass';
    await archive.close();
    await expect(archive.ping()).rejects.toBeInstanceOf(TierUnavailable);
  });
});

describe('archive measurements', () => {
  /** ~1 KB of agent-like JSON: varied words from a fixed generator, repeated keys, like real state. */
  function state(runIndex: number, step: number): unknown {
    let seed = (runIndex * 7919 + step * 104_729) >>> 0;
    const next = () => {
      seed = (seed * 1_664_525 + 1_013_904_223) >>> 0;
      return seed;
    };
    const words = [
      'plan',
      'search',
      'tool',
      'result',
      'retry',
      'summary',
      'user',
      'context',
      'draft',
      'review',
    ];
    const sentence = () =>
      Array.from({ length: 12 }, () => `${words[next() % words.length]}${next() % 1000}`).join(' ');
    return {
      step,
      messages: Array.from({ length: 6 }, (_, i) => ({
        role: i % 2 ? 'assistant' : 'user',
        content: sentence(),
      })),
      scratch: { cursor: next(), seen: Array.from({ length: 8 }, () => next() % 100_000) },
    };
  }

  function bigBatch(runs: number) {
    const batch = batchOf(id('t'), runs, 0, (i) => ({
      agentName: `agent-${i % 5}`,
      model: `model-${i % 3}`,
    }));
    const checkpoints = batch.runs.flatMap((r, i) => [1, 2, 3].map((v) => checkpoint(r, v, state(i, v))));
    return { ...batch, runs: batch.runs.map((r) => ({ ...r, headVersion: 3 })), checkpoints };
  }

  it('writes 1,000 and 10,000 runs (3 checkpoints of ~1 KB each) and reports speed and compression', async () => {
    const tier = createClickHouseArchiveTier({ url, fetch: chdb });
    const report: Record<string, unknown> = {};
    for (const n of [1_000, 10_000]) {
      const batch = bigBatch(n);
      const payloadBytes = batch.checkpoints.reduce((s, c) => s + c.sizeBytes, 0);
      const started = performance.now();
      const result = await tier.writeBatch(batch);
      const ms = performance.now() - started;
      expect(result).toEqual({ runs: n, checkpoints: 3 * n, alreadyArchived: 0 });
      const retryStarted = performance.now();
      await tier.writeBatch(batch);
      const retryMs = performance.now() - retryStarted;
      expect(await tier.totals(batch.runs[0]?.tenantId ?? '')).toMatchObject({ runs: n, checkpoints: 3 * n });
      // What the same payloads would weigh stored as the durable tier keeps large ones: gzip+base64 per row.
      const gzipped = batch.checkpoints.reduce(
        (s, c) => s + gzipSync(c.payload).toString('base64').length,
        0,
      );
      report[`${n} runs`] = {
        perRowGzipBase64Ratio: +(payloadBytes / gzipped).toFixed(2),
        ms: Math.round(ms),
        rowsPerSecond: Math.round((4 * n) / (ms / 1000)),
        payloadMiB: +(payloadBytes / 2 ** 20).toFixed(1),
        retryMs: Math.round(retryMs),
      };
    }
    await tier.close();
    const [codec] = await rows<{ uncompressed: string; compressed: string }>(
      `SELECT sum(data_uncompressed_bytes) AS uncompressed, sum(data_compressed_bytes) AS compressed
       FROM system.columns WHERE database = 'strata' AND table = 'archived_checkpoints' AND name = 'payload'`,
    );
    const ratio = Number(codec?.uncompressed) / Number(codec?.compressed);
    report.payloadCompression = `${ratio.toFixed(1)}x (${codec?.uncompressed} → ${codec?.compressed} bytes)`;
    console.log('archive measurements', JSON.stringify(report, null, 2));
    expect(ratio).toBeGreaterThan(2);
  }, 300_000);
});
