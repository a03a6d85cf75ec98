/**
 * Outbound HTTP for the tiers' clients in Node: undici's dispatcher over a keep-alive connection pool.
 * - `keepAliveFetch`: a `fetch` for a client that accepts one (the Neon driver's `fetchFunction`).
 * - `keepAlivePost`: one POST answered as status, headers and text (the Upstash requester, upstash-requester.ts).
 *
 * Why not the global fetch: on Node 20 it costs ~0.3 ms more CPU per call than `request` over the same
 * connections (a 1.2 KB POST answered by a loopback server: ~350 against ~70 µs, client and server together;
 * docs/decisions.md, "Outbound HTTP"), and a save makes one call to each tier. The Web-standard runtimes
 * (lib/runtime/worker-*.ts) keep their platform fetch; this module is Node only.
 */
import { Agent, type Dispatcher } from 'undici';

/**
 * The process's connections to the tiers' HTTP endpoints, kept open between calls with the same defaults as the
 * global fetch's (an idle socket is closed after 4 s, or sooner when the server's Keep-Alive says so): a
 * longer idle life would only make it likelier to reuse a socket the server, or its load balancer, has dropped.
 */
const pool = new Agent();

/** Statuses whose Response may not carry a body. */
const NO_BODY = new Set([101, 204, 205, 304]);

export interface PostReply {
  readonly status: number;
  readonly header: (name: string) => string | undefined;
  /** The body as text; '' for a status that carries none. */
  readonly text: string;
}

/**
 * One POST. `timeoutMs` bounds the wait for the reply's headers and for each chunk of its body, in the pool
 * itself: no AbortSignal per request (creating one, and the DOMException its timer builds when it fires long
 * after the request ended, was ≈2% of the function's CPU). A timeout rejects with an error whose `code` is
 * UND_ERR_HEADERS_TIMEOUT or UND_ERR_BODY_TIMEOUT (`isTimeout`), and closes the connection.
 */
export async function keepAlivePost(
  url: string,
  headers: Record<string, string>,
  body: string,
  timeoutMs?: number,
): Promise<PostReply> {
  const reply = await send(url, 'POST', headers, body, { timeoutMs });
  const header = (name: string) => {
    const value = reply.headers[name.toLowerCase()];
    return Array.isArray(value) ? value.join(', ') : value;
  };
  return { status: reply.status, header, text: reply.text ?? '' };
}

/** `fetch(url, init)` as the Neon driver calls it: a URL (never a Request), a method, headers and a body. */
export async function keepAliveFetch(input: string | URL, init: RequestInit = {}): Promise<Response> {
  const body = (init.body ?? null) as string | Uint8Array | null;
  const reply = await send(input, init.method ?? 'GET', headersOf(init.headers), body, {
    signal: init.signal,
  });
  const headers = new Headers();
  for (const [name, value] of Object.entries(reply.headers)) {
    if (value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) headers.append(name, one);
  }
  return new TextReply(reply.text, { status: reply.status, headers });
}

/**
 * A Response over a body already read as text. The driver reads a reply once, with `json()` or `text()`; a
 * Response built from the text would encode it back to bytes, concatenate and decode them again before the
 * JSON parse (three passes over a reply that holds a batch's checkpoints: ~0.3 of a second per 10,000 runs
 * archived). The other body readers are the base class's, over the same text.
 */
class TextReply extends Response {
  readonly #text: string | null;
  #used = false;

  constructor(text: string | null, init: ResponseInit) {
    super(null, init);
    this.#text = text;
  }

  override get bodyUsed(): boolean {
    return this.#used;
  }

  override text(): Promise<string> {
    if (this.#used) return Promise.reject(new TypeError('Body is unusable: Body has already been read'));
    this.#used = true;
    return Promise.resolve(this.#text ?? '');
  }

  override async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }

  override async arrayBuffer(): Promise<ArrayBuffer> {
    const bytes = new TextEncoder().encode(await this.text());
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  }
}

interface RawReply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  /** The body as UTF-8 text; null for a status that carries none. */
  readonly text: string | null;
}

/**
 * One request over the pool, its body read whole. Dispatched with a handler that only gathers the bytes:
 * undici's `request` wraps each call in an AsyncResource and a body stream, ≈20 µs more CPU per call on a 1 KB
 * POST (docs/decisions.md, "Outbound HTTP"); a save makes one call to each tier.
 *
 * An abort of `signal` rejects with its reason, as `request` and `fetch` do; one that comes while the request
 * waits in the pool's queue takes effect when the request starts, as with `request`.
 */
function send(
  url: string | URL,
  method: string,
  headers: Record<string, string>,
  body: string | Uint8Array | null,
  limits: { readonly signal?: AbortSignal | null | undefined; readonly timeoutMs?: number | undefined },
): Promise<RawReply> {
  const target = typeof url === 'string' ? new URL(url) : url;
  const signal = limits.signal ?? undefined;
  return new Promise<RawReply>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    let controller: Dispatcher.DispatchController | undefined;
    let status = 0;
    let replyHeaders: RawReply['headers'] = {};
    const chunks: Buffer[] = [];
    const onAbort = () => controller?.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    const settle = () => signal?.removeEventListener('abort', onAbort);
    pool.dispatch(
      {
        origin: target.origin,
        path: `${target.pathname}${target.search}`,
        method: method as Dispatcher.HttpMethod,
        headers,
        body,
        ...(limits.timeoutMs !== undefined && {
          headersTimeout: limits.timeoutMs,
          bodyTimeout: limits.timeoutMs,
        }),
      },
      {
        onRequestStart(started) {
          controller = started;
          if (signal?.aborted) started.abort(signal.reason);
        },
        onResponseStart(_controller, statusCode, responseHeaders) {
          status = statusCode;
          replyHeaders = responseHeaders;
        },
        onResponseData(_controller, chunk) {
          chunks.push(chunk);
        },
        onResponseEnd() {
          settle();
          const text = NO_BODY.has(status) ? null : Buffer.concat(chunks).toString('utf8');
          resolve({ status, headers: replyHeaders, text });
        },
        onResponseError(_controller, error) {
          settle();
          reject(error);
        },
      },
    );
  });
}

function headersOf(headers: HeadersInit | undefined): Record<string, string> {
  if (headers === undefined) return {};
  if (headers instanceof Headers || Array.isArray(headers)) {
    const plain: Record<string, string> = {};
    new Headers(headers).forEach((value, name) => {
      plain[name] = value;
    });
    return plain;
  }
  return headers as Record<string, string>;
}

/** Whether `keepAlivePost` gave up waiting for its reply (its `timeoutMs`). */
export function isTimeout(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT';
}
