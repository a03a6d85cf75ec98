/**
 * HTTP mode of the Neon driver (`neon()`, drizzle-orm/neon-http): `POST /sql` run with `pg`, answering in Neon's
 * wire format — raw text values, rows as arrays, Postgres error fields in a 400 body.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import pg from 'pg';
import { type AllowList, targetOf } from './targets.ts';

interface Statement {
  readonly query: string;
  readonly params: readonly unknown[];
}
interface Reply {
  readonly status: number;
  readonly body: unknown;
}

/** Bodies are buffered before parsing: cap them so one runaway client cannot exhaust the bridge's memory. */
const MAX_BODY_BYTES = 64 * 1024 * 1024;
/** Connections per connection string; the machine's Postgres is shared with parallel test files. */
const POOL_MAX = 10;
// biome-ignore format: a list of names reads better packed
const ERROR_FIELDS = [
  'severity', 'code', 'detail', 'hint', 'position', 'internalPosition', 'internalQuery', 'where',
  'schema', 'table', 'column', 'dataType', 'constraint', 'file', 'line', 'routine',
] as const;
const ISOLATION: Record<string, string> = {
  ReadUncommitted: 'READ UNCOMMITTED',
  ReadCommitted: 'READ COMMITTED',
  RepeatableRead: 'REPEATABLE READ',
  Serializable: 'SERIALIZABLE',
};
// Neon returns every value as Postgres' text output; the driver applies its own parsers. pg's typings describe
// its parsers' overloads, which an identity parser satisfies at runtime.
const rawText = { getTypeParser: () => (value: string) => value } as unknown as pg.CustomTypesConfig;

class BadRequest extends Error {}

export interface SqlEndpoint {
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
  close(): Promise<void>;
}

export function createSqlEndpoint(allowed: AllowList): SqlEndpoint {
  const pools = new Map<string, pg.Pool>();
  /**
   * `characteristics`: the session defaults of the pool's connections ('' for the server's), so that a batch of
   * one statement runs as that statement's own implicit transaction under the batch's isolation and access mode.
   */
  const poolFor = (connectionString: string, characteristics = ''): pg.Pool => {
    const key = `${characteristics}\u0000${connectionString}`;
    let pool = pools.get(key);
    if (!pool) {
      // The bridge speaks plain TCP to a local server: Neon's sslmode/channel_binding do not apply.
      const url = new URL(connectionString);
      url.searchParams.delete('sslmode');
      url.searchParams.delete('channel_binding');
      pool = new pg.Pool({
        connectionString: url.href,
        max: POOL_MAX,
        ...(characteristics && { options: characteristics }),
      });
      // An idle client whose backend is terminated (e.g. DROP DATABASE … WITH (FORCE)) must not crash the proxy.
      pool.on('error', () => {});
      pools.set(key, pool);
    }
    return pool;
  };

  const answer = async (req: IncomingMessage): Promise<Reply> => {
    try {
      const connectionString = header(req, 'neon-connection-string');
      const target = connectionString ? targetOf(connectionString) : null;
      if (!connectionString || !target)
        throw new BadRequest('missing or invalid Neon-Connection-String header');
      if (!allowed.has(target)) return { status: 403, body: { message: `target ${target} is not allowed` } };
      const body = parseBody(await readBody(req));
      const arrayMode = header(req, 'neon-array-mode') === 'true';
      if (!('queries' in body))
        return { status: 200, body: format(await run(poolFor(connectionString), body), arrayMode) };
      const mode = batchMode(req);
      const [only, ...more] = body.queries;
      // One statement is its own transaction: under session defaults set to the batch's mode, it runs as
      // BEGIN <mode>; statement; COMMIT would, in one round trip to Postgres instead of three.
      const results =
        only && more.length === 0
          ? [await run(poolFor(connectionString, sessionDefaults(mode)), only)]
          : await runBatch(poolFor(connectionString), body.queries, `BEGIN${modeClause(mode)}`);
      return { status: 200, body: { results: results.map((r) => format(r, arrayMode)) } };
    } catch (error) {
      return errorReply(error);
    }
  };

  return {
    async handle(req, res) {
      const reply = await answer(req);
      res.writeHead(reply.status, { 'content-type': 'application/json' }).end(JSON.stringify(reply.body));
    },
    async close() {
      const all = [...pools.values()];
      pools.clear();
      await Promise.all(all.map((pool) => pool.end().catch(() => {})));
    },
  };
}

function run(client: pg.Pool | pg.PoolClient, statement: Statement): Promise<pg.QueryArrayResult> {
  // `queryMode: 'extended'` refuses several statements in one query, as Neon does (pg has no typing for it).
  const config: pg.QueryArrayConfig & { queryMode: 'extended' } = {
    text: statement.query,
    values: [...statement.params],
    rowMode: 'array',
    types: rawText,
    queryMode: 'extended',
  };
  return client.query(config);
}

/** A batch is one transaction: any failing statement rolls back the whole batch. */
async function runBatch(pool: pg.Pool, queries: readonly Statement[], begin: string) {
  const ignore = () => {};
  const client = await checkOut(pool, ignore);
  try {
    await client.query(begin);
    const results: pg.QueryArrayResult[] = [];
    for (const statement of queries) results.push(await run(client, statement));
    await client.query('COMMIT');
    client.off('error', ignore);
    client.release();
    return results;
  } catch (error) {
    // A client whose ROLLBACK fails is broken: destroy it rather than return it to the pool.
    await client.query('ROLLBACK').then(
      () => {
        client.off('error', ignore);
        client.release();
      },
      (rollbackError: Error) => {
        client.off('error', ignore);
        client.release(rollbackError);
      },
    );
    throw error;
  }
}

/**
 * A checked-out client's 'error' (Postgres died mid-batch) is not the pool's to handle: without a listener it
 * would crash the process. The failing query rejects as well, and that is what the caller answers with.
 *
 * The listener goes on inside pool.connect's callback, not after `await pool.connect()`: the pool hands a
 * client over while that client's socket data is still being parsed (its previous user's query just ended), and
 * a FATAL "terminating connection due to unexpected postmaster exit" in the same chunk is emitted before an
 * awaiting caller's continuation runs (seen under `npm run chaos:long`).
 */
function checkOut(pool: pg.Pool, onError: (error: Error) => void): Promise<pg.PoolClient> {
  return new Promise((resolve, reject) => {
    pool.connect((error, client) => {
      if (error || !client) return reject(error ?? new Error('pool.connect gave no client'));
      client.on('error', onError);
      resolve(client);
    });
  });
}

/** A batch's transaction mode, from the driver's headers. */
interface BatchMode {
  readonly isolation?: string;
  readonly readOnly?: boolean;
  readonly deferrable?: boolean;
}

function batchMode(req: IncomingMessage): BatchMode {
  const isolation = header(req, 'neon-batch-isolation-level');
  const level = isolation === undefined ? undefined : ISOLATION[isolation];
  if (isolation !== undefined && !level)
    throw new BadRequest(`unknown Neon-Batch-Isolation-Level "${isolation}"`);
  const readOnly = header(req, 'neon-batch-read-only');
  const deferrable = header(req, 'neon-batch-deferrable');
  return {
    ...(level && { isolation: level }),
    ...(readOnly && { readOnly: readOnly === 'true' }),
    ...(deferrable && { deferrable: deferrable === 'true' }),
  };
}

/** ` ISOLATION LEVEL … READ ONLY …` for BEGIN. */
function modeClause(mode: BatchMode): string {
  const parts: string[] = [];
  if (mode.isolation) parts.push(`ISOLATION LEVEL ${mode.isolation}`);
  if (mode.readOnly !== undefined) parts.push(mode.readOnly ? 'READ ONLY' : 'READ WRITE');
  if (mode.deferrable !== undefined) parts.push(mode.deferrable ? 'DEFERRABLE' : 'NOT DEFERRABLE');
  return parts.map((part) => ` ${part}`).join('');
}

/** The same mode as session defaults (libpq `options`; a space in a value is escaped). */
function sessionDefaults(mode: BatchMode): string {
  const settings: string[] = [];
  if (mode.isolation) settings.push(`default_transaction_isolation=${mode.isolation.toLowerCase()}`);
  if (mode.readOnly !== undefined)
    settings.push(`default_transaction_read_only=${mode.readOnly ? 'on' : 'off'}`);
  if (mode.deferrable !== undefined)
    settings.push(`default_transaction_deferrable=${mode.deferrable ? 'on' : 'off'}`);
  return settings.map((setting) => `-c ${setting.replaceAll(' ', '\\ ')}`).join(' ');
}

function format(result: pg.QueryArrayResult, arrayMode: boolean) {
  const fields = result.fields.map((f) => ({
    name: f.name,
    dataTypeID: f.dataTypeID,
    tableID: f.tableID,
    columnID: f.columnID,
    dataTypeSize: f.dataTypeSize,
    dataTypeModifier: f.dataTypeModifier,
    format: f.format,
  }));
  const rows = arrayMode
    ? result.rows
    : result.rows.map((row) => Object.fromEntries(fields.map((f, i) => [f.name, row[i]])));
  return { command: result.command, rowCount: result.rowCount, rows, fields, rowAsArray: arrayMode };
}

function errorReply(error: unknown): Reply {
  if (error instanceof pg.DatabaseError) {
    const body: Record<string, unknown> = { message: error.message };
    for (const field of ERROR_FIELDS) if (error[field] !== undefined) body[field] = error[field];
    return { status: 400, body };
  }
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof BadRequest) return { status: 400, body: { message } };
  // Not a Postgres answer (target unreachable, connection lost): the gateway failed, not the query.
  return { status: 502, body: { message } };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new BadRequest(`request body exceeds ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseBody(text: string): Statement | { queries: Statement[] } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new BadRequest('request body is not JSON');
  }
  if (isObject(json) && Array.isArray(json.queries)) return { queries: json.queries.map(statementOf) };
  return statementOf(json);
}

function statementOf(value: unknown): Statement {
  if (!isObject(value) || typeof value.query !== 'string') throw new BadRequest('expected {query, params}');
  const params = value.params ?? [];
  if (!Array.isArray(params)) throw new BadRequest('params must be an array');
  return { query: value.query, params };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
