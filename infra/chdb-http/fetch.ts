/**
 * A `fetch` that speaks the ClickHouse HTTP interface to chDB, so `@clickhouse/client-web` runs its
 * production code path (`createClient({ url, fetch })`) in tests and locally. Hand-written because
 * client-web needs an HTTP ClickHouse, none runs here, and `chdb/connection` (for the Node client)
 * leaks settings from one request into the next.
 */
import { ChdbEngine, type EngineResult } from './engine.ts';
import { errorResponse } from './errors.ts';
import { parseHttpParams } from './params.ts';
import { type SqlStatement, splitStatement } from './sql.ts';

export interface ChdbHttpOptions {
  /** chDB data directory. One per process: chDB refuses a second directory while one is open. */
  readonly dataDir: string;
}

/** A Web-standard handler: `(Request) => Response`, shared by the fetch and the node:http server. */
export interface ChdbHttpHandler {
  handle(request: Request): Promise<Response>;
  /** Waits for queued requests, then releases the data directory. */
  close(): Promise<void>;
}

export type ChdbFetch = typeof fetch & { readonly dataDir: string; close(): Promise<void> };

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function createChdbHandler(options: ChdbHttpOptions): ChdbHttpHandler {
  const engine = new ChdbEngine(options.dataDir);
  return { handle: (request) => handle(engine, request), close: () => engine.close() };
}

/** `fetch` for `createClient({ url: 'http://chdb.local', fetch: createChdbFetch({ dataDir }) })`. */
export function createChdbFetch(options: ChdbHttpOptions): ChdbFetch {
  const handler = createChdbHandler(options);
  const chdbFetch = (input: RequestInfo | URL, init?: RequestInit) =>
    handler.handle(new Request(input, init));
  return Object.assign(chdbFetch, { dataDir: options.dataDir, close: () => handler.close() });
}

async function handle(engine: ChdbEngine, request: Request): Promise<Response> {
  const url = new URL(request.url);
  if (url.pathname === '/ping') return new Response('Ok.\n');
  if (url.pathname !== '/') return new Response(`There is no handle ${url.pathname}\n`, { status: 404 });
  let queryId: string | undefined;
  try {
    const { entries, body } = await readRequest(request);
    const params = parseHttpParams(entries);
    queryId = params.queryId;
    if (params.query === undefined && body.length === 0) return new Response('Ok.\n');
    const { sql, data } = statementOf(params.query, body);
    const result = await engine.execute({ params, sql, ...(data ? { data } : {}) }, request.signal);
    const format = sql.dataStart === undefined ? (sql.format ?? params.defaultFormat) : undefined;
    return success(result, { queryId, format, timezone: engine.timezone });
  } catch (err) {
    if (request.signal.aborted) throw request.signal.reason; // fetch rejects on abort; it does not answer
    return errorResponse(err, { version: engine.version, ...(queryId ? { queryId } : {}) });
  }
}

/** URL entries plus multipart `query`/`param_*` fields (client-web's `use_multipart_params`), and the body. */
async function readRequest(request: Request): Promise<{ entries: [string, string][]; body: Uint8Array }> {
  const entries = [...new URL(request.url).searchParams];
  if (request.method === 'GET' || request.method === 'HEAD') return { entries, body: new Uint8Array() };
  if (request.headers.get('content-type')?.startsWith('multipart/form-data')) {
    const form = await request.formData();
    form.forEach((value, name) => {
      if (typeof value === 'string') entries.push([name, value]);
    });
    return { entries, body: new Uint8Array() };
  }
  const encoding = request.headers.get('content-encoding');
  if (encoding === 'gzip' || encoding === 'deflate') {
    const stream = request.body?.pipeThrough(new DecompressionStream(encoding));
    return { entries, body: new Uint8Array(await new Response(stream ?? null).arrayBuffer()) };
  }
  return { entries, body: new Uint8Array(await request.arrayBuffer()) };
}

/**
 * As the server does, the SQL is the `query` parameter, a newline, then the body. When the
 * parameter alone is a whole `INSERT … FORMAT x` (client.insert()), the body is its data and is
 * passed on as bytes, never decoded and re-encoded.
 */
function statementOf(query: string | undefined, body: Uint8Array): { sql: SqlStatement; data?: Uint8Array } {
  if (query !== undefined) {
    const head = trySplit(query);
    if (head?.dataStart === query.length) return { sql: head, data: body };
  }
  const bodyText = decoder.decode(body);
  const text = query === undefined ? bodyText : bodyText ? `${query}\n${bodyText}` : query;
  const sql = splitStatement(text);
  if (sql.dataStart === undefined) return { sql };
  return { sql, data: encoder.encode(text.slice(sql.dataStart)) };
}

function trySplit(text: string): SqlStatement | undefined {
  try {
    return splitStatement(text);
  } catch {
    return undefined; // the body may complete it
  }
}

function success(
  r: EngineResult,
  ctx: { queryId: string; format: string | undefined; timezone: string },
): Response {
  const summary = {
    read_rows: String(r.readRows),
    read_bytes: String(r.readBytes),
    written_rows: String(r.writtenRows),
    written_bytes: String(r.writtenBytes),
    total_rows_to_read: String(r.readRows),
    result_rows: String(r.writtenRows || r.readRows),
    result_bytes: String(r.writtenBytes || r.body.byteLength),
    elapsed_ns: String(Math.round(r.elapsedSeconds * 1e9)),
  };
  const headers = new Headers({
    'Content-Type': contentType(ctx.format),
    'X-ClickHouse-Query-Id': ctx.queryId,
    'X-ClickHouse-Summary': JSON.stringify(summary),
    'X-ClickHouse-Timezone': ctx.timezone,
  });
  if (ctx.format) headers.set('X-ClickHouse-Format', ctx.format);
  // Always a body, even an empty one: with `null` the client's stream reader waits for data that never comes
  // (an empty JSONEachRow result hung).
  return new Response(r.body as Uint8Array<ArrayBuffer>, {
    status: 200,
    headers,
  });
}

function contentType(format: string | undefined): string {
  if (!format) return 'text/plain; charset=UTF-8';
  if (format.startsWith('JSON')) return 'application/json; charset=UTF-8';
  if (format.startsWith('TSV') || format.startsWith('TabSeparated'))
    return 'text/tab-separated-values; charset=UTF-8';
  if (format.startsWith('CSV')) return 'text/csv; charset=UTF-8; header=absent';
  return 'application/octet-stream';
}
