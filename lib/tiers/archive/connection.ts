/** How the archive reaches ClickHouse: `@clickhouse/client-web` over any `fetch` (the platform's, or chDB's in process). */
import { type ClickHouseClient, createClient } from '@clickhouse/client-web';

export interface ClickHouseArchiveOptions {
  /** Base URL of the HTTP interface, e.g. `https://abc.clickhouse.cloud:8443` or `http://chdb.local`. */
  readonly url: string;
  /** @default 'default' (the server's own default user) */
  readonly username?: string;
  /** @default '' */
  readonly password?: string;
  /** Every table lives here; migrate creates it when missing. @default 'strata' */
  readonly database?: string;
  /** A `fetch` to use instead of the global one (infra/chdb-http's `createChdbFetch` locally). @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /**
   * Deadline of reads and health checks in ms (the request path fails over past it).
   * @default 5000
   */
  readonly timeoutMs?: number;
  /**
   * Deadline of a whole writeBatch, delete or migration in ms: scheduled work, not on the request path.
   * @default 120000
   */
  readonly writeTimeoutMs?: number;
}

export const DEFAULT_DATABASE = 'strata';

export interface Deadlines {
  readonly readMs: number;
  readonly writeMs: number;
}

export function deadlinesOf(options: ClickHouseArchiveOptions): Deadlines {
  return { readMs: options.timeoutMs ?? 5_000, writeMs: options.writeTimeoutMs ?? 120_000 };
}

/**
 * A client bound to `database` (or to the server's default database when null, for CREATE DATABASE:
 * a request naming a database that does not exist yet fails before its statement runs).
 */
export function openClient(options: ClickHouseArchiveOptions, database: string | null): ClickHouseClient {
  const { readMs, writeMs } = deadlinesOf(options);
  return createClient({
    url: options.url,
    ...(options.username !== undefined && { username: options.username }),
    ...(options.password !== undefined && { password: options.password }),
    ...(database !== null && { database }),
    ...(options.fetch && { fetch: options.fetch }),
    application: 'strata-archive',
    // Each call carries its own abort signal (guard.ts); this is only the outer bound.
    request_timeout: Math.max(readMs, writeMs),
    // A long insert sends no bytes back until it ends; progress headers keep a load balancer (ClickHouse
    // Cloud has one) from dropping the idle connection first.
    clickhouse_settings: { send_progress_in_http_headers: 1, http_headers_progress_interval_ms: '10000' },
    // Lookups of a 10,000-run batch carry large array parameters: past ~4 KB they go in a multipart body,
    // not the URL, which servers cap.
    use_multipart_params_auto: true,
  });
}

/**
 * Rows of a SELECT, in the `JSON` format rather than `JSONEachRow`: its body is never empty (it always has
 * `meta` and `data`), so no reader depends on how a transport represents an empty body. (chdb-http answers
 * an empty result with a null body, on which client-web's JSONEachRow reader waits forever.)
 */
export async function selectRows<T>(
  client: ClickHouseClient,
  query: string,
  query_params: Record<string, unknown>,
  signal: AbortSignal,
): Promise<T[]> {
  const result = await client.query({ query, query_params, format: 'JSON', abort_signal: signal });
  return (await result.json<T>()).data;
}
