/**
 * deleteRun and deleteUser. A materialized view sees only inserts, so deleting archived run rows would
 * leave their cost in `costs_daily`. A delete therefore (1) records each run row it is about to remove in
 * `archived_run_deletions`, whose own view subtracts it from `costs_daily`, then (2) deletes the rows.
 *
 * Crash- and retry-safe: a row already in the ledger is not recorded again (a retry after (1) finds it
 * there), and the ledger insert carries a token derived from exactly the rows it records, so two identical
 * deletes racing each other record once. Only the run rows recorded are deleted (by batch id), so a run
 * archived again meanwhile is not removed uncounted.
 */
import type { ClickHouseClient } from '@clickhouse/client-web';
import { tokenOf } from './batch.ts';
import { selectRows } from './connection.ts';
import { chTime } from './rows.ts';
import { dedupSettings } from './write.ts';

interface RunCost {
  readonly run_id: string;
  readonly batch_id: string;
  readonly day: string;
  readonly agent_name: string;
  readonly model_key: string;
  readonly input_tokens: string | number;
  readonly output_tokens: string | number;
  readonly cost_text: string;
}

/** Lightweight DELETEs carry their run ids in the URL: bounded so that no server refuses the request line. */
const IDS_PER_DELETE = 500;

const COSTS = `SELECT run_id, batch_id, toString(toDate(completed_at)) AS day, agent_name,
  ifNull(model, '') AS model_key, input_tokens, output_tokens, toString(cost_usd) AS cost_text
  FROM archived_runs WHERE tenant_id = {tenant:String}`;

export async function deleteRun(
  client: ClickHouseClient,
  key: { readonly tenantId: string; readonly runId: string },
  signal: AbortSignal,
): Promise<boolean> {
  const params = { tenant: key.tenantId, run: key.runId };
  const rows = await selectRows<RunCost>(client, `${COSTS} AND run_id = {run:String}`, params, signal);
  const [checkpoints] = await selectRows<{ n: string }>(
    client,
    'SELECT count() AS n FROM archived_checkpoints WHERE tenant_id = {tenant:String} AND run_id = {run:String}',
    params,
    signal,
  );
  await remove(client, key.tenantId, rows, [key.runId], signal);
  return rows.length > 0 || Number(checkpoints?.n ?? 0) > 0;
}

export async function deleteUser(
  client: ClickHouseClient,
  tenantId: string,
  userId: string,
  signal: AbortSignal,
): Promise<number> {
  const params = { tenant: tenantId, user: userId };
  const rows = await selectRows<RunCost>(client, `${COSTS} AND user_id = {user:String}`, params, signal);
  const runIds = [...new Set(rows.map((r) => r.run_id))];
  await remove(client, tenantId, rows, runIds, signal);
  return runIds.length;
}

async function remove(
  client: ClickHouseClient,
  tenantId: string,
  rows: readonly RunCost[],
  runIds: readonly string[],
  signal: AbortSignal,
): Promise<void> {
  await record(client, tenantId, rows, signal);
  const batches = [...new Set(rows.map((r) => r.batch_id))];
  for (let i = 0; i < runIds.length; i += IDS_PER_DELETE) {
    const runs = runIds.slice(i, i + IDS_PER_DELETE);
    if (batches.length > 0) {
      await client.command({
        query: `DELETE FROM archived_runs WHERE tenant_id = {tenant:String}
          AND run_id IN {runs:Array(String)} AND batch_id IN {batches:Array(String)}`,
        query_params: { tenant: tenantId, runs, batches },
        abort_signal: signal,
      });
    }
    // Every checkpoint goes, whichever batch brought it: erasure must not leave a crashed batch's copy behind.
    await client.command({
      query: `DELETE FROM archived_checkpoints WHERE tenant_id = {tenant:String} AND run_id IN {runs:Array(String)}`,
      query_params: { tenant: tenantId, runs },
      abort_signal: signal,
    });
  }
}

/** Adds to the deletion ledger the rows it does not hold yet. */
async function record(
  client: ClickHouseClient,
  tenantId: string,
  rows: readonly RunCost[],
  signal: AbortSignal,
): Promise<void> {
  if (rows.length === 0) return;
  const known = await selectRows<{ run_id: string; batch_id: string }>(
    client,
    `SELECT run_id, batch_id FROM archived_run_deletions
      WHERE tenant_id = {tenant:String} AND run_id IN {runs:Array(String)}`,
    { tenant: tenantId, runs: [...new Set(rows.map((r) => r.run_id))] },
    signal,
  );
  const recorded = new Set(known.map((k) => JSON.stringify([k.run_id, k.batch_id])));
  const fresh = rows.filter((r) => !recorded.has(JSON.stringify([r.run_id, r.batch_id])));
  if (fresh.length === 0) return;
  const identity = [tenantId, fresh.map((r) => JSON.stringify([r.run_id, r.batch_id])).sort()];
  const deletedAt = chTime(Date.now());
  await client.insert({
    table: 'archived_run_deletions',
    format: 'JSONEachRow',
    values: fresh.map((r) => ({
      tenant_id: tenantId,
      run_id: r.run_id,
      batch_id: r.batch_id,
      deleted_at: deletedAt,
      day: r.day,
      agent_name: r.agent_name,
      model: r.model_key,
      input_tokens: r.input_tokens,
      output_tokens: r.output_tokens,
      // Decimal text both ways: the amount subtracted is exactly the amount that was added.
      cost_usd: r.cost_text,
    })),
    clickhouse_settings: dedupSettings(tokenOf('deletion', identity)),
    abort_signal: signal,
  });
}
