/**
 * Reads a ClickHouse HTTP request's parameters the way the server's HTTP handler does: a fixed
 * set of reserved names (`query`, `database`, `default_format`, `query_id`, `session_id` …),
 * `param_*` for typed query parameters, and every other name is a setting of this one query.
 * Also renders them as the single `SET` that scopes them to a chDB connection.
 */
import { ClickHouseHttpError } from './errors.ts';

/** URL names the ClickHouse HTTP handler keeps for itself (`reserved_param_names`); never settings. */
const RESERVED = new Set([
  'query',
  'database',
  'default_format',
  'query_id',
  'session_id',
  'session_timeout',
  'session_check',
  'close_session',
  'compress',
  'decompress',
  'user',
  'password',
  'quota_key',
  'role',
  'stacktrace',
  'buffer_size',
  'wait_end_of_query',
  'client_protocol_version',
]);

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface HttpParams {
  /** SQL from the `query` parameter; the body, if any, follows it on a new line. */
  readonly query?: string;
  readonly database?: string;
  /** Output format when the query has no `FORMAT` clause. @default 'TabSeparated' */
  readonly defaultFormat: string;
  readonly queryId: string;
  readonly sessionId?: string;
  /** Idle seconds before a session is dropped. @default 60 */
  readonly sessionTimeoutSeconds: number;
  /** `session_check=1`: fail with SESSION_NOT_FOUND instead of creating the session. */
  readonly sessionCheck: boolean;
  /** Settings of this query only (name → value as sent). */
  readonly settings: ReadonlyMap<string, string>;
  /** Values of `{name:Type}` placeholders, in the server's text form (`param_name`). */
  readonly params: ReadonlyMap<string, string>;
}

/** Parses URL (and multipart form) entries; later entries win, as on the server. */
export function parseHttpParams(entries: Iterable<readonly [string, string]>): HttpParams {
  const settings = new Map<string, string>();
  const params = new Map<string, string>();
  const reserved = new Map<string, string>();
  for (const [name, value] of entries) {
    if (name.startsWith('param_')) params.set(name.slice('param_'.length), value);
    else if (RESERVED.has(name)) reserved.set(name, value);
    else settings.set(name, value);
  }
  const timeout = Number(reserved.get('session_timeout') ?? 60);
  if (!Number.isFinite(timeout) || timeout < 0) {
    throw new ClickHouseHttpError(
      36,
      'BAD_ARGUMENTS',
      `Invalid session timeout: ${reserved.get('session_timeout')}`,
    );
  }
  const optional = (key: string) => {
    const v = reserved.get(key);
    return v === undefined || v === '' ? undefined : v;
  };
  const query = reserved.get('query');
  const database = optional('database');
  const sessionId = optional('session_id');
  return {
    ...(query === undefined ? {} : { query }),
    ...(database === undefined ? {} : { database }),
    ...(sessionId === undefined ? {} : { sessionId }),
    defaultFormat: optional('default_format') ?? 'TabSeparated',
    queryId: optional('query_id') ?? crypto.randomUUID(),
    sessionTimeoutSeconds: timeout,
    sessionCheck: reserved.get('session_check') === '1',
    settings,
    params,
  };
}

/** A ClickHouse string literal: the lexer turns it back into exactly `value`. */
export function sqlString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** A back-quoted identifier (database names come from the URL, so they are quoted, not trusted). */
export function sqlIdentifier(value: string): string {
  return `\`${value.replace(/\\/g, '\\\\').replace(/`/g, '\\`')}\``;
}

/**
 * One `SET a = '…', param_x = '…'` applying a request's settings and parameters to a connection.
 * Values stay strings: the engine converts them to the setting's type, and `param_*` text is
 * parsed for the placeholder's declared type at bind time, exactly as for an HTTP `param_*`.
 */
export function setStatement(p: Pick<HttpParams, 'settings' | 'params'>): string | undefined {
  const parts: string[] = [];
  for (const [name, value] of p.settings) {
    if (!NAME.test(name)) throw new ClickHouseHttpError(115, 'UNKNOWN_SETTING', `Unknown setting '${name}'`);
    parts.push(`${name} = ${sqlString(value)}`);
  }
  for (const [name, value] of p.params) {
    if (!/^[A-Za-z0-9_]+$/.test(name)) {
      throw new ClickHouseHttpError(36, 'BAD_ARGUMENTS', `Invalid query parameter name '${name}'`);
    }
    parts.push(`param_${name} = ${sqlString(value)}`);
  }
  return parts.length === 0 ? undefined : `SET ${parts.join(', ')}`;
}
