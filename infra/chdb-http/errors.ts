/**
 * ClickHouse errors as the HTTP interface reports them. `@clickhouse/client-web` turns a non-2xx
 * response (or one carrying `X-ClickHouse-Exception-Code`) into a `ClickHouseError` by parsing
 * `Code: N. DB::Exception: … (TYPE) (version …)` from the body, so chDB's errors are reshaped into
 * exactly that, with the status a real server would pick for the code.
 */

/** An error with a ClickHouse code, raised by chDB or by this bridge on the server's behalf. */
export class ClickHouseHttpError extends Error {
  override readonly name = 'ClickHouseHttpError';
  constructor(
    readonly code: number,
    readonly type: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const CODED = /^Code: (\d+)\. /;
const TYPE_MARK = /\(([A-Z0-9_]*[A-Z]{3}[A-Z0-9_]*)\)/;

/**
 * Reads an error thrown by chDB (`clickhouseCode` + `Code: N. DB::Exception: msg. (TYPE)`).
 * chDB sometimes nests the same exception twice; the innermost message is kept.
 */
export function fromEngineError(err: unknown): ClickHouseHttpError {
  if (err instanceof ClickHouseHttpError) return err;
  const raw = err instanceof Error ? err.message : String(err);
  const declared = (err as { clickhouseCode?: unknown } | null)?.clickhouseCode;
  const coded = CODED.exec(raw);
  const code = typeof declared === 'number' ? declared : coded ? Number(coded[1]) : 1001;
  const marker = 'DB::Exception: ';
  const at = raw.lastIndexOf(marker);
  let message = at >= 0 ? raw.slice(at + marker.length) : raw;
  const type = TYPE_MARK.exec(message);
  if (type) message = message.slice(0, type.index).trimEnd();
  return new ClickHouseHttpError(code, type?.[1] ?? 'STD_EXCEPTION', message, { cause: err });
}

const BAD_REQUEST = new Set([6, 8, 15, 25, 26, 27, 38, 41, 44, 49, 53, 62, 72, 117, 167, 168, 223, 321]);
const NOT_FOUND = new Set([46, 47, 56, 60, 63, 73, 81, 115, 136, 188, 336]);
const OTHER: Readonly<Record<number, number>> = { 65: 413, 48: 501, 76: 503, 159: 408, 209: 503, 381: 411 };

/** The HTTP status ClickHouse's HTTP handler answers with for an exception code. */
export function httpStatusFor(code: number): number {
  if (BAD_REQUEST.has(code)) return 400;
  if (NOT_FOUND.has(code)) return 404;
  return OTHER[code] ?? 500;
}

/** The error body of a real server: `Code: N. DB::Exception: msg. (TYPE) (version V)`. */
export function errorBody(err: ClickHouseHttpError, version: string): string {
  const message = /[.!?]$/.test(err.message) ? err.message : `${err.message}.`;
  return `Code: ${err.code}. DB::Exception: ${message} (${err.type}) (version ${version})\n`;
}

export function errorResponse(err: unknown, ctx: { version: string; queryId?: string }): Response {
  const ch = fromEngineError(err);
  const headers = new Headers({
    'Content-Type': 'text/plain; charset=UTF-8',
    'X-ClickHouse-Exception-Code': String(ch.code),
  });
  if (ctx.queryId !== undefined) headers.set('X-ClickHouse-Query-Id', ctx.queryId);
  return new Response(errorBody(ch, ctx.version), { status: httpStatusFor(ch.code), headers });
}
