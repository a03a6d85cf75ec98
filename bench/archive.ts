/**
 * Issue 3 figures: archiving batches of 1,000 and 10,000 completed runs (3 checkpoints of ~1 KB each) through
 * the real archiver (claim in Postgres → read checkpoints → exactly-once insert into chDB via client-web →
 * mark), rows per second, and the compression ratio of archived payloads read from ClickHouse itself. Beside
 * them, the raw-client baseline: one client-web insert of the same rows into a plain table.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@clickhouse/client-web';
import { type NeonQueryFunction, neon } from '@neondatabase/serverless';
import { createChdbFetch } from '../infra/chdb-http/index.ts';
import { archiveCompleted } from '../lib/lifecycle/archive-completed.ts';
import { silentLogger } from '../lib/observability/logger.ts';
import { createClickHouseArchiveTier, migrateClickHouseArchive } from '../lib/tiers/archive/clickhouse.ts';
import { startRealEngines } from '../test/support/real-engines.ts';
import { profiled } from './cpu-profile.ts';
import { type CpuSplit, cpuSince, cpuSnapshot, formatCpu } from './cpu-split.ts';

const CHECKPOINTS_PER_RUN = 3;

/** BENCH_ARCHIVE_REPEATS: batches archived per size (fresh runs each time), medians reported. @default 3 */
const REPEATS = Math.max(1, Number(process.env.BENCH_ARCHIVE_REPEATS ?? 3));

interface Sample {
  readonly archiverMs: number;
  readonly rawMs: number;
  readonly sameMs: number;
  readonly phases: ReadonlyMap<string, number>;
  readonly archiverCpu: CpuSplit | null;
  readonly rawCpu: CpuSplit | null;
}

export async function benchArchive(sizes: readonly number[] = [1_000, 10_000]): Promise<void> {
  // The Neon proxy in a child process, as the remote service it stands for: its JSON work is not the archiver's.
  const engines = await startRealEngines({ bridges: 'child' });
  const dataDir = await mkdtemp(join(tmpdir(), 'strata-bench-chdb-'));
  const chdbFetch = createChdbFetch({ dataDir });
  const options = { url: 'http://chdb.local', fetch: chdbFetch };
  await migrateClickHouseArchive(options);
  const archive = createClickHouseArchiveTier(options);
  const raw = createClient({ ...options, database: 'strata' });
  const sql = neon(engines.env.DATABASE_URL!);
  try {
    await raw.command({
      query:
        'CREATE TABLE raw_baseline (tenant_id String, run_id String, version UInt64, payload String) ENGINE = MergeTree ORDER BY (tenant_id, run_id, version)',
    });
    // The same tables as the archive's (columns, codecs, sorting, TTL), without its views and tokens.
    await raw.command({ query: 'CREATE TABLE raw_same_checkpoints AS archived_checkpoints' });
    await raw.command({ query: 'CREATE TABLE raw_same_runs AS archived_runs' });
    console.log(
      `\nArchive (chDB ${'26.x'} in process through @clickhouse/client-web; Postgres through the Neon proxy in a child process)`,
    );
    console.log(
      '  raw insert: client-web JSONEachRow of (tenant_id, run_id, version, payload) of the checkpoints into a plain table;\n' +
        '  raw, same rows: client-web JSONCompactEachRow of every column the archiver writes, checkpoints then runs, into\n' +
        `  copies of its tables (no view, no token). Median of ${REPEATS} batches per size, each of fresh runs; ratios of medians.`,
    );
    console.log(
      `${'batch'.padEnd(12)}${'archiver'.padStart(12)}${'rows/s'.padStart(12)}   ${'raw insert'.padStart(12)}${'ratio'.padStart(8)}   ${'raw, same rows'.padStart(15)}${'ratio'.padStart(8)}`,
    );
    for (const size of sizes) {
      const samples: Sample[] = [];
      for (let repeat = 0; repeat < REPEATS; repeat++) {
        const tenantId = `bench-${randomUUID()}`;
        await engines.durable.createTenant({ id: tenantId, name: 'bench', plan: 'mid' });
        await seedCompletedRuns(sql, tenantId, size);
        const rawRows =
          await sql`SELECT tenant_id, run_id, version, payload FROM checkpoints WHERE tenant_id = ${tenantId}`;
        const same = await sameRows(sql, tenantId);
        const phases = new Map<string, number>();
        const deps = {
          hot: engines.hot,
          durable: engines.durable,
          queue: timed(engines.durable.archiveQueue, phases),
          runScan: engines.durable.runScan,
          archive: timed(archive, phases),
          log: silentLogger,
          now: Date.now,
          newBatchId: () => `b-${randomUUID()}`,
        };
        let archiverCpu: CpuSplit | null = null;
        let rawCpu: CpuSplit | null = null;
        const runArchiver = async () => {
          const cpu = cpuSnapshot();
          const started = performance.now();
          const report = await profiled(`archiver-${size}-${repeat}`, () =>
            archiveCompleted(deps, {
              batchSize: size,
              leaseMs: 600_000,
              maxBatches: 1,
              hotRetentionMs: 86_400_000,
              durableRetentionMs: 30 * 86_400_000,
            }),
          );
          const ms = performance.now() - started;
          archiverCpu = cpuSince(cpu);
          if (report.runs !== size) throw new Error(`archived ${report.runs} runs, expected ${size}`);
          return ms;
        };
        const runRaw = async () => {
          const cpu = cpuSnapshot();
          const started = performance.now();
          await profiled(`raw-insert-${size}-${repeat}`, () =>
            raw.insert({ table: 'raw_baseline', values: rawRows, format: 'JSONEachRow' }),
          );
          const ms = performance.now() - started;
          rawCpu = cpuSince(cpu);
          return ms;
        };
        const runSame = async () => {
          const started = performance.now();
          await raw.insert({
            table: 'raw_same_checkpoints',
            columns: same.checkpointColumns,
            values: same.checkpoints,
            format: 'JSONCompactEachRow',
          });
          await raw.insert({
            table: 'raw_same_runs',
            columns: same.runColumns,
            values: same.runs,
            format: 'JSONCompactEachRow',
          });
          return performance.now() - started;
        };
        // Alternate who goes first, so neither always runs on a machine warmed (or tired) by the other.
        let archiverMs: number;
        let rawMs: number;
        let sameMs: number;
        if (repeat % 2 === 0) {
          archiverMs = await runArchiver();
          rawMs = await runRaw();
          sameMs = await runSame();
        } else {
          sameMs = await runSame();
          rawMs = await runRaw();
          archiverMs = await runArchiver();
        }
        samples.push({ archiverMs, rawMs, sameMs, phases, archiverCpu, rawCpu });
      }
      const rows = size * (1 + CHECKPOINTS_PER_RUN);
      const archiverMs = median(samples.map((s) => s.archiverMs));
      const rawMs = median(samples.map((s) => s.rawMs));
      const sameMs = median(samples.map((s) => s.sameMs));
      console.log(
        `${`${size} runs`.padEnd(12)}${`${archiverMs.toFixed(0)} ms`.padStart(12)}${Math.round(
          rows / (archiverMs / 1000),
        )
          .toString()
          .padStart(
            12,
          )}   ${`${rawMs.toFixed(0)} ms`.padStart(12)}${`${(archiverMs / rawMs).toFixed(2)}x`.padStart(8)}   ` +
          `${`${sameMs.toFixed(0)} ms`.padStart(15)}${`${(archiverMs / sameMs).toFixed(2)}x`.padStart(8)}`,
      );
      for (const s of samples) {
        const breakdown = [...s.phases].map(([name, ms]) => `${name} ${ms.toFixed(0)}`).join(', ');
        console.log(
          `  archiver ${s.archiverMs.toFixed(0)} ms (${breakdown}); raw ${s.rawMs.toFixed(0)} ms; same rows ${s.sameMs.toFixed(0)} ms`,
        );
        console.log(`    archiver ${formatCpu(s.archiverCpu)}; raw insert ${formatCpu(s.rawCpu)}`);
      }
    }
    const [codec] = await (
      await raw.query({
        query: `SELECT sum(data_uncompressed_bytes) AS raw, sum(data_compressed_bytes) AS stored
                FROM system.columns WHERE database = 'strata' AND table = 'archived_checkpoints' AND name = 'payload'`,
        format: 'JSONEachRow',
      })
    ).json<{ raw: number | string; stored: number | string }>();
    const [parts] = await (
      await raw.query({
        query: `SELECT count() AS parts, uniqExact(partition) AS partitions, sum(data_uncompressed_bytes) AS raw, sum(data_compressed_bytes) AS stored
                FROM system.parts WHERE database = 'strata' AND table = 'archived_checkpoints' AND active`,
        format: 'JSONEachRow',
      })
    ).json<{ parts: number; partitions: number; raw: number | string; stored: number | string }>();
    if (codec && parts) {
      console.log(
        `  payload column (ZSTD): ${mb(codec.raw)} → ${mb(codec.stored)}, ratio ${(Number(codec.raw) / Number(codec.stored)).toFixed(2)}x; ` +
          `whole table (system.parts): ${mb(parts.raw)} → ${mb(parts.stored)}, ratio ${(Number(parts.raw) / Number(parts.stored)).toFixed(2)}x in ${parts.parts} parts`,
      );
    }
    console.log('  target: under 2 s per batch');
  } finally {
    await raw.close();
    await archive.close();
    await chdbFetch.close();
    await engines.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/**
 * The rows the archiver writes for this tenant, every column, as arrays (built before the clock starts): what a
 * bare client-web insert of the same data costs, without the archive's reads, validation and bookkeeping.
 */
async function sameRows(sql: NeonQueryFunction<false, false>, tenantId: string) {
  const time = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.MS')`;
  const checkpoints = await sql.query(
    `SELECT tenant_id, run_id, 'same', version, hash, checkpoint, size_bytes, ${time('saved_at')}, ${time('saved_at')}, payload
     FROM checkpoints WHERE tenant_id = $1`,
    [tenantId],
    { arrayMode: true },
  );
  const runs = await sql.query(
    `SELECT tenant_id, run_id, 'same', agent_name, parent_run_id, thread_id, user_id, status, model, input_tokens,
            output_tokens, cost_usd::text, ${time('created_at')}, ${time('completed_at')}, ${time('completed_at')},
            durable_version, '', ${time('completed_at')}
     FROM runs WHERE tenant_id = $1`,
    [tenantId],
    { arrayMode: true },
  );
  return {
    checkpointColumns: CHECKPOINT_COLUMNS,
    checkpoints: checkpoints as unknown as unknown[][],
    runColumns: RUN_COLUMNS,
    runs: runs as unknown as unknown[][],
  };
}

// biome-ignore format: column lists read better packed
const CHECKPOINT_COLUMNS: [string, ...string[]] = ['tenant_id', 'run_id', 'batch_id', 'version', 'hash', 'checkpoint', 'size_bytes', 'saved_at', 'retain_until', 'payload'];
// biome-ignore format: column lists read better packed
const RUN_COLUMNS: [string, ...string[]] = ['tenant_id', 'run_id', 'batch_id', 'agent_name', 'parent_run_id', 'thread_id', 'user_id', 'status', 'model', 'input_tokens', 'output_tokens', 'cost_usd', 'created_at', 'completed_at', 'archived_at', 'head_version', 'head_hash', 'retain_until'];

const mb = (bytes: number | string) => `${(Number(bytes) / 2 ** 20).toFixed(1)} MiB`;

/** Completed runs with their checkpoints, inserted in bulk (setup, not measured). Payloads are canonical JSON. */
async function seedCompletedRuns(
  sql: NeonQueryFunction<false, false>,
  tenantId: string,
  count: number,
): Promise<void> {
  await sql`
    INSERT INTO runs (tenant_id, run_id, agent_name, status, durable_version, created_at, updated_at, completed_at,
                      model, input_tokens, output_tokens, cost_usd)
    SELECT ${tenantId}, 'run-' || i, 'agent-' || (i % 7), 'completed', ${CHECKPOINTS_PER_RUN}, now(), now(), now(),
           'model-' || (i % 3), 1000 + i, 100 + i, round((0.001 * (i % 50))::numeric, 9)
    FROM generate_series(1, ${count}::int) AS i`;
  await sql`
    WITH cp AS (
      SELECT 'run-' || i AS run_id, v,
             -- Half prose, half hashes: roughly as compressible as real agent state (tool output, ids).
             '{"agentName":"agent-' || (i % 7) || '","data":{"notes":"' ||
             (SELECT string_agg('step ' || v || ' of run ' || i || ' checked ' || md5(i || '-' || v || '-' || k), '; ')
              FROM generate_series(1, 18) AS k) ||
             '"},"status":"running","step":' || v || '}' AS payload
      FROM generate_series(1, ${count}::int) AS i, generate_series(1, ${CHECKPOINTS_PER_RUN}::int) AS v
    )
    INSERT INTO checkpoints (tenant_id, run_id, version, checkpoint, hash, encoding, payload, size_bytes, saved_at)
    SELECT ${tenantId}, run_id, v, 'CRITICAL', encode(sha256(convert_to(payload, 'UTF8')), 'hex'), 'json', payload,
           octet_length(payload), now()
    FROM cp`;
}

/** Wraps every method of `target` to add its time to `phases` (bench-only instrumentation). */
function timed<T extends object>(target: T, phases: Map<string, number>): T {
  return new Proxy(target, {
    get(object, property, receiver) {
      const value: unknown = Reflect.get(object, property, receiver);
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        const started = performance.now();
        try {
          return await (value as (...a: unknown[]) => Promise<unknown>).apply(object, args);
        } finally {
          phases.set(String(property), (phases.get(String(property)) ?? 0) + performance.now() - started);
        }
      };
    },
  });
}
