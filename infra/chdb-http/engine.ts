/**
 * Runs one HTTP request's statement on chDB with the isolation a ClickHouse server gives it.
 * chDB `SET` sticks to its connection (and `chdb/connection` leaks one request's settings into the
 * next), so each request without `session_id` gets a fresh connection to the same data directory
 * (≈0.3 ms): its `SET`s — URL settings, `param_*` values, a `SET` in the query itself — die with
 * it. A `session_id` keeps one connection, as a server session keeps its context; URL settings
 * are still restored after each query there. Everything runs through one queue.
 */
import { type RawInsertFormat, Session } from 'chdb';
import { ClickHouseHttpError } from './errors.ts';
import { type HttpParams, setStatement, sqlIdentifier, sqlString } from './params.ts';
import { SerialQueue } from './queue.ts';
import type { SqlStatement } from './sql.ts';

export interface EngineRequest {
  readonly params: HttpParams;
  readonly sql: SqlStatement;
  /** Inline data of `INSERT … FORMAT name`, collected whole so a deduplication token covers it all. */
  readonly data?: Uint8Array;
}

export interface EngineResult {
  readonly body: Uint8Array;
  readonly readRows: number;
  readonly readBytes: number;
  readonly writtenRows: number;
  readonly writtenBytes: number;
  readonly elapsedSeconds: number;
}

interface OpenSession {
  readonly conn: Session;
  timer?: ReturnType<typeof setTimeout>;
}

/** Formats chDB's raw insert takes as bytes (and reports written rows for); others go through SQL text. */
const RAW_FORMATS = new Set([
  'JSONEachRow',
  'JSONCompactEachRow',
  'CSV',
  'CSVWithNames',
  'TSV',
  'TabSeparated',
  'TSVWithNames',
  'TabSeparatedWithNames',
]);
/** `INSERT INTO [TABLE] db.t [(a, b)] FORMAT F` — the shape `client.insert()` sends. */
const SIMPLE_INSERT =
  /^INSERT\s+INTO\s+(?:TABLE\s+)?([A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)?)\s*(?:\(([A-Za-z0-9_,\s]+)\))?\s*FORMAT\s+(\w+)$/i;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

export class ChdbEngine {
  readonly #queue = new SerialQueue();
  readonly #sessions = new Map<string, OpenSession>();
  /** Held for the engine's lifetime: it binds the data directory and answers version(). */
  readonly #root: Session;
  readonly version: string;
  readonly timezone: string;
  #closed = false;

  constructor(readonly dataDir: string) {
    this.#root = new Session(dataDir);
    const [version = 'unknown', timezone = 'UTC'] = this.#root
      .query('SELECT version(), timezone()', 'TSV')
      .trim()
      .split('\t');
    this.version = version;
    this.timezone = timezone;
  }

  execute(req: EngineRequest, signal?: AbortSignal): Promise<EngineResult> {
    return this.#queue.run(() => this.#run(req), signal);
  }

  /** Closes sessions and the data directory after the queued work has finished. Idempotent. */
  close(): Promise<void> {
    return this.#queue.run(async () => {
      if (this.#closed) return;
      this.#closed = true;
      for (const id of [...this.#sessions.keys()]) this.#dropSession(id);
      this.#root.close();
    });
  }

  async #run(req: EngineRequest): Promise<EngineResult> {
    if (this.#closed) throw new ClickHouseHttpError(210, 'NETWORK_ERROR', 'chDB engine is closed');
    const { sessionId } = req.params;
    if (sessionId === undefined) {
      const conn = new Session(this.dataDir);
      try {
        await this.#prepare(conn, req.params);
        return await this.#statement(conn, req);
      } finally {
        conn.close();
      }
    }
    const session = this.#session(req.params);
    const restore = await this.#snapshot(session.conn, req.params);
    try {
      await this.#prepare(session.conn, req.params);
      return await this.#statement(session.conn, req);
    } finally {
      try {
        for (const statement of restore) await session.conn.queryAsync(statement);
        this.#touch(sessionId, req.params);
      } catch {
        this.#dropSession(sessionId); // a session we cannot put back is not one to keep
      }
    }
  }

  async #prepare(conn: Session, params: HttpParams): Promise<void> {
    const set = setStatement(params);
    if (set) await conn.queryAsync(set);
    if (params.database !== undefined) await conn.queryAsync(`USE ${sqlIdentifier(params.database)}`);
  }

  async #statement(conn: Session, req: EngineRequest): Promise<EngineResult> {
    const { sql, data, params } = req;
    const simple = data === undefined ? null : SIMPLE_INSERT.exec(sql.statement.trim());
    if (data !== undefined && simple?.[1] && simple[3] && RAW_FORMATS.has(simple[3])) {
      const columns = simple[2]?.split(',').map((c) => c.trim());
      const r = await conn.insert({
        table: simple[1],
        values: data,
        format: simple[3] as RawInsertFormat,
        ...(columns ? { columns } : {}),
      });
      return {
        body: new Uint8Array(),
        readRows: 0,
        readBytes: 0,
        writtenRows: r.rowsWritten,
        writtenBytes: r.bytesWritten,
        elapsedSeconds: r.elapsed,
      };
    }
    let text = sql.statement;
    if (data !== undefined) {
      try {
        text = `${sql.statement}\n${strictUtf8.decode(data)}`;
      } catch (cause) {
        throw new ClickHouseHttpError(
          48,
          'NOT_IMPLEMENTED',
          `chdb-http takes text INSERT formats only, not ${sql.format}`,
          { cause },
        );
      }
    }
    const r = await conn.queryAsync(text, { format: params.defaultFormat });
    return {
      body: r.bytes(),
      readRows: r.rowsRead,
      readBytes: r.bytesRead,
      writtenRows: 0,
      writtenBytes: 0,
      elapsedSeconds: r.elapsed,
    };
  }

  #session(params: HttpParams): OpenSession {
    const id = params.sessionId ?? '';
    const open = this.#sessions.get(id);
    if (open) return open;
    if (params.sessionCheck)
      throw new ClickHouseHttpError(372, 'SESSION_NOT_FOUND', `Session ${id} not found`);
    const created: OpenSession = { conn: new Session(this.dataDir) };
    this.#sessions.set(id, created);
    return created;
  }

  /** Statements that put a session back as it was before this request's URL settings and database. */
  async #snapshot(conn: Session, params: HttpParams): Promise<string[]> {
    const restore: string[] = [];
    const names = [...params.settings.keys()].map(sqlString).join(', ');
    if (names) {
      const sql = `SELECT name, value, changed FROM system.settings WHERE name IN (${names})`;
      const rows = (await conn.queryAsync(sql, { format: 'JSONEachRow' })).text().split('\n').filter(Boolean);
      const sets = rows.map((line) => {
        const r = JSON.parse(line) as { name: string; value: string; changed: number };
        return `${r.name} = ${r.changed ? sqlString(r.value) : 'DEFAULT'}`;
      });
      if (sets.length > 0) restore.push(`SET ${sets.join(', ')}`);
    }
    if (params.database !== undefined) {
      const db = (await conn.queryAsync('SELECT currentDatabase()', { format: 'TSV' })).text().trim();
      restore.push(`USE ${sqlIdentifier(db)}`);
    }
    return restore;
  }

  #touch(id: string, params: HttpParams): void {
    const open = this.#sessions.get(id);
    if (!open) return;
    // A server drops a session idle for `session_timeout` seconds; the drop waits its turn in the queue.
    clearTimeout(open.timer);
    open.timer = setTimeout(
      () => void this.#queue.run(async () => this.#dropSession(id)),
      params.sessionTimeoutSeconds * 1000,
    );
    open.timer.unref();
  }

  #dropSession(id: string): void {
    const open = this.#sessions.get(id);
    if (!open) return;
    clearTimeout(open.timer);
    this.#sessions.delete(id);
    open.conn.close();
  }
}
