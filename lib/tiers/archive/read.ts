/**
 * The archive's reads. Values always travel as typed query parameters (`{name:Type}`); the only SQL chosen
 * in code is the grouping column, picked from a fixed map. Physical duplicates (which exactly-once should
 * prevent, see write.ts) are hidden from lookups by `LIMIT 1 BY`, and shown by `totals`.
 */
import type { ClickHouseClient } from '@clickhouse/client-web';
import { InvalidRequest } from '../../errors.ts';
import { rebuildLast } from '../chain.ts';
import type { CheckpointSummary } from '../durable/port.ts';
import type { RunKey, StoredVersion } from '../types.ts';
import { selectRows } from './connection.ts';
import type { ArchivedRun, ArchiveTotals, CostGroupBy, CostQuery, CostRow } from './port.ts';
import {
  archivedRunOf,
  chTime,
  RUN_COLUMNS,
  type RunResult,
  SUMMARY_COLUMNS,
  type SummaryResult,
  storedVersionOf,
  summaryOf,
  VERSION_COLUMNS,
  type VersionResult,
} from './rows.ts';

const OF_RUN = 'tenant_id = {tenant:String} AND run_id = {run:String}';

export class ArchiveReader {
  constructor(private readonly client: ClickHouseClient) {}

  async getRun(key: RunKey, signal: AbortSignal): Promise<ArchivedRun | null> {
    const query = `SELECT ${RUN_COLUMNS} FROM archived_runs WHERE ${OF_RUN} ORDER BY archived_at DESC LIMIT 1`;
    const [row] = await this.rows<RunResult>(query, runParams(key), signal);
    return row ? archivedRunOf(row) : null;
  }

  // A version is rebuilt from its delta chain (lib/tiers/chain.ts): the rows from the nearest whole state at or
  // below it, in one query.
  async loadLatest(key: RunKey, signal: AbortSignal): Promise<StoredVersion | null> {
    const query = `SELECT ${VERSION_COLUMNS} FROM archived_checkpoints
      WHERE ${OF_RUN} AND version >= (SELECT max(version) FROM archived_checkpoints WHERE ${OF_RUN} AND format = 'state')
      ORDER BY version LIMIT 1 BY version`;
    const rows = await this.rows<VersionResult>(query, runParams(key), signal);
    return rebuildLast(rows.map(storedVersionOf));
  }

  async loadVersion(key: RunKey, version: number, signal: AbortSignal): Promise<StoredVersion | null> {
    if (!Number.isSafeInteger(version) || version < 1) return null;
    const query = `SELECT ${VERSION_COLUMNS} FROM archived_checkpoints
      WHERE ${OF_RUN} AND version <= {version:UInt64}
        AND version >= (SELECT max(version) FROM archived_checkpoints
                        WHERE ${OF_RUN} AND format = 'state' AND version <= {version:UInt64})
      ORDER BY version LIMIT 1 BY version`;
    const rows = await this.rows<VersionResult>(query, { ...runParams(key), version }, signal);
    if (rows.length === 0 || Number(rows.at(-1)!.version) !== version) return null;
    return rebuildLast(rows.map(storedVersionOf));
  }

  async listCheckpoints(
    key: RunKey,
    page: { readonly limit: number; readonly beforeVersion?: number },
    signal: AbortSignal,
  ): Promise<CheckpointSummary[]> {
    const { limit, beforeVersion = Number.MAX_SAFE_INTEGER } = page;
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > 1000)
      throw new InvalidRequest('limit must be an integer from 1 to 1000', { limit: ['1..1000'] });
    if (!Number.isSafeInteger(beforeVersion) || beforeVersion < 0)
      throw new InvalidRequest('beforeVersion must be an integer >= 0', { beforeVersion: ['>= 0'] });
    const query = `SELECT ${SUMMARY_COLUMNS} FROM archived_checkpoints
      WHERE ${OF_RUN} AND version < {before:UInt64}
      ORDER BY version DESC LIMIT 1 BY version LIMIT {limit:UInt32}`;
    const rows = await this.rows<SummaryResult>(
      query,
      { ...runParams(key), before: beforeVersion, limit },
      signal,
    );
    return rows.map(summaryOf);
  }

  async costs(tenantId: string, q: CostQuery, signal: AbortSignal): Promise<CostRow[]> {
    const key = GROUP_KEYS[q.groupBy];
    if (!key)
      throw new InvalidRequest('groupBy must be agent, model or day', { groupBy: ['agent|model|day'] });
    if (!Number.isSafeInteger(q.from) || !Number.isSafeInteger(q.to) || q.from < 0)
      throw new InvalidRequest('from and to are epoch milliseconds', {
        from: ['epoch ms'],
        to: ['epoch ms'],
      });
    if (q.to <= q.from) return [];
    // sum() … GROUP BY over the SummingMergeTree: right before, during and after merges. A group whose runs
    // were all deleted sums to zero and is left out, as if it had never been archived.
    const query = `SELECT ${key} AS key, sum(runs) AS n_runs, sum(input_tokens) AS n_input,
        sum(output_tokens) AS n_output, toString(sum(cost_usd)) AS usd
      FROM costs_daily
      WHERE tenant_id = {tenant:String} AND day >= {from:Date} AND day <= {to:Date}
      GROUP BY key HAVING n_runs != 0 ORDER BY key`;
    const params = { tenant: tenantId, from: utcDay(q.from), to: utcDay(q.to - 1) };
    const rows = await this.rows<Record<'key' | 'n_runs' | 'n_input' | 'n_output' | 'usd', string>>(
      query,
      params,
      signal,
    );
    return rows.map((r) => ({
      key: q.groupBy === 'model' && r.key === '' ? null : r.key,
      runs: Number(r.n_runs),
      inputTokens: Number(r.n_input),
      outputTokens: Number(r.n_output),
      costUsd: Number(r.usd),
    }));
  }

  async totals(tenantId: string, signal: AbortSignal): Promise<ArchiveTotals> {
    const query = `SELECT count() AS runs, sum(input_tokens) AS inputTokens, sum(output_tokens) AS outputTokens,
        toString(sum(cost_usd)) AS costUsd,
        (SELECT count() FROM archived_checkpoints WHERE tenant_id = {tenant:String}) AS checkpoints
      FROM archived_runs WHERE tenant_id = {tenant:String}`;
    const [row] = await this.rows<Record<keyof ArchiveTotals, string>>(query, { tenant: tenantId }, signal);
    return {
      runs: Number(row?.runs ?? 0),
      checkpoints: Number(row?.checkpoints ?? 0),
      inputTokens: Number(row?.inputTokens ?? 0),
      outputTokens: Number(row?.outputTokens ?? 0),
      costUsd: Number(row?.costUsd ?? 0),
    };
  }

  async ping(signal: AbortSignal): Promise<void> {
    // A query, not /ping: it also proves the database exists and the credentials work.
    await this.rows('SELECT 1 AS ok', {}, signal);
  }

  private rows<T>(query: string, params: Record<string, unknown>, signal: AbortSignal): Promise<T[]> {
    return selectRows<T>(this.client, query, params, signal);
  }
}

/** SQL of each grouping: chosen from this map, never from the caller's text. */
const GROUP_KEYS: Readonly<Record<CostGroupBy, string>> = {
  agent: 'agent_name',
  model: 'model',
  day: 'toString(day)',
};

const runParams = (key: RunKey) => ({ tenant: key.tenantId, run: key.runId });
const utcDay = (ms: number) => chTime(ms).slice(0, 10);
