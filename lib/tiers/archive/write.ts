/**
 * writeBatch, exactly once. Each chunk is ONE insert, sent whole (never streamed: a streamed insert with a
 * token lost rows on chDB), carrying an insert_deduplication_token that is the same on every attempt
 * (batch.ts). Every table involved, the cost view's target included, has its own deduplication window, and
 * the insert asks for dependent views to be deduplicated too, so a repeated chunk adds nothing anywhere.
 *
 * Order: checkpoints, then runs. A run row is the batch's commit mark for that run: a crash between the
 * two leaves checkpoints without a run (harmless, and completed by the retry), never a run without history.
 */
import type { ClickHouseClient, ClickHouseSettings } from '@clickhouse/client-web';
import { chunk, dedupToken, type PreparedBatch, prepareBatch, runKeyOf } from './batch.ts';
import { selectRows } from './connection.ts';
import type { ArchiveBatch, ArchiveWriteResult } from './port.ts';
import { CHECKPOINT_INSERT, columnNames, RUN_INSERT, rowOf } from './rows.ts';

/** Per-insert settings; nothing is left to server or profile defaults that could differ in production. */
export function dedupSettings(token: string): ClickHouseSettings {
  return {
    insert_deduplicate: 1,
    insert_deduplication_token: token,
    deduplicate_blocks_in_dependent_materialized_views: 1,
    // Async inserts deduplicate by their own rules (and were off by default): keep the synchronous path.
    async_insert: 0,
  };
}

export async function writeBatch(
  client: ClickHouseClient,
  batch: ArchiveBatch,
  signal: AbortSignal,
): Promise<ArchiveWriteResult> {
  const prepared = prepareBatch(batch);
  if (prepared.runs.length === 0) return { runs: 0, checkpoints: 0, alreadyArchived: 0 };
  const skipped = await archivedElsewhere(client, prepared, signal);
  const keep = (r: { readonly tenantId: string; readonly runId: string }) => !skipped.has(runKeyOf(r));
  // A checkpoint lives as long as its run.
  const retainUntilOf = new Map(prepared.runs.map((r) => [runKeyOf(r), r.retainUntil]));

  // Chunks are cut from the whole batch and only THEN filtered: a run skipped on a retry (archived by
  // another batch meanwhile) cannot shift rows into other chunks and change their tokens.
  const cpChunks = chunk(prepared.checkpoints, (c) => Buffer.byteLength(c.canonical) + 256);
  let checkpoints = 0;
  for (const [index, part] of cpChunks.entries()) {
    const rows: unknown[][] = [];
    for (const { checkpoint, canonical } of part) {
      if (!keep(checkpoint)) continue;
      const retainUntil = retainUntilOf.get(runKeyOf(checkpoint)) ?? 0;
      rows.push(rowOf(CHECKPOINT_INSERT, { checkpoint, canonical, batchId: prepared.batchId, retainUntil }));
    }
    await insert(client, 'archived_checkpoints', CHECKPOINT_COLUMNS, rows, {
      token: dedupToken(prepared, 'archived_checkpoints', index),
      signal,
    });
    checkpoints += rows.length;
  }

  let runs = 0;
  for (const [index, part] of chunk(prepared.runs, () => 512).entries()) {
    const rows = part.filter(keep).map((run) => rowOf(RUN_INSERT, { run, batchId: prepared.batchId }));
    await insert(client, 'archived_runs', RUN_COLUMNS, rows, {
      token: dedupToken(prepared, 'archived_runs', index),
      signal,
    });
    runs += rows.length;
  }
  return { runs, checkpoints, alreadyArchived: skipped.size };
}

const CHECKPOINT_COLUMNS = columnNames(CHECKPOINT_INSERT);
const RUN_COLUMNS = columnNames(RUN_INSERT);

/**
 * JSONCompactEachRow: each row an array in the order of `columns`, which the INSERT names. No key is repeated in
 * every row (JSONEachRow's cost), and the server maps values by position to the listed columns.
 */
async function insert(
  client: ClickHouseClient,
  table: string,
  columns: readonly string[],
  values: readonly unknown[][],
  at: { readonly token: string; readonly signal: AbortSignal },
): Promise<void> {
  if (values.length === 0) return;
  await client.insert({
    table,
    columns: columns as [string, ...string[]],
    values: values as unknown[][],
    format: 'JSONCompactEachRow',
    clickhouse_settings: dedupSettings(at.token),
    abort_signal: at.signal,
  });
}

/**
 * Runs of this batch that the archive holds from OTHER batches only. A run the archive holds from this very
 * batch is not skipped: its chunk must stay as it was so the retry's token matches.
 */
async function archivedElsewhere(
  client: ClickHouseClient,
  batch: PreparedBatch,
  signal: AbortSignal,
): Promise<Set<string>> {
  const rows = await selectRows<{ tenant_id: string; run_id: string; batches: string[] }>(
    client,
    `SELECT tenant_id, run_id, groupUniqArray(batch_id) AS batches
      FROM archived_runs
      WHERE tenant_id IN {tenants:Array(String)} AND run_id IN {runs:Array(String)}
      GROUP BY tenant_id, run_id`,
    {
      tenants: [...new Set(batch.runs.map((r) => r.tenantId))],
      runs: [...new Set(batch.runs.map((r) => r.runId))],
    },
    signal,
  );
  const inBatch = new Set(batch.runs.map(runKeyOf));
  const skipped = new Set<string>();
  for (const r of rows) {
    const key = runKeyOf({ tenantId: r.tenant_id, runId: r.run_id });
    if (inBatch.has(key) && !r.batches.includes(batch.batchId)) skipped.add(key);
  }
  return skipped;
}
