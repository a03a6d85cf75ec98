/**
 * GCS bridge · the HTTP server: a stand-in for Cloud Storage's JSON API on 127.0.0.1, for the GCS fallback store
 * and its tests. Hand-written because no maintained emulator installs here (same approach as upstash-bridge).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type ApiReply, apiError } from './errors.ts';
import { createHandler } from './handler.ts';
import { BucketStore } from './store.ts';

/** A spooled write is at most a few MiB; this only stops a runaway client. */
const MAX_BODY_BYTES = 64 * 1024 * 1024;
/** Requests kept for tests to inspect. */
const LOGGED = 10_000;

export interface GcsBridgeOptions {
  /** @default 0 (a free port) */
  readonly port?: number;
  /** @default "127.0.0.1" */
  readonly host?: string;
  /** Buckets that exist from the start; any other answers 404, as on Google. @default [] */
  readonly buckets?: readonly string[];
}

export interface LoggedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly status: number;
}

export interface GcsBridge {
  /** Pass as the client's `apiEndpoint` (`STRATA_GCS_ENDPOINT`). */
  readonly url: string;
  readonly port: number;
  readonly requests: readonly LoggedRequest[];
  createBucket(name: string): void;
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        resolve(null);
        req.pause();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, reply: ApiReply): void {
  const media = Buffer.isBuffer(reply.body);
  const bytes = media
    ? (reply.body as Buffer)
    : reply.body === null
      ? Buffer.alloc(0)
      : Buffer.from(JSON.stringify(reply.body));
  res.writeHead(reply.status, {
    ...(!media && reply.body !== null && { 'content-type': 'application/json; charset=UTF-8' }),
    ...reply.headers,
    'content-length': String(bytes.length),
  });
  res.end(bytes);
}

export async function startGcsBridge(options: GcsBridgeOptions = {}): Promise<GcsBridge> {
  const host = options.host ?? '127.0.0.1';
  const store = new BucketStore();
  for (const bucket of options.buckets ?? []) store.createBucket(bucket);
  const requests: LoggedRequest[] = [];
  let url = '';
  const handle = createHandler(store, () => url);

  const server = createServer((req, res) => {
    readBody(req).then(
      (body) => {
        let reply: ApiReply;
        try {
          reply =
            body === null
              ? apiError(413, 'uploadTooLarge', `request body exceeds ${MAX_BODY_BYTES} bytes`)
              : handle({
                  method: req.method ?? 'GET',
                  url: req.url ?? '/',
                  contentType: req.headers['content-type'],
                  body,
                });
        } catch (error) {
          reply = apiError(500, 'backendError', `bridge error: ${String(error)}`);
        }
        const parsed = new URL(req.url ?? '/', 'http://bridge');
        requests.push({
          method: req.method ?? 'GET',
          path: parsed.pathname,
          query: Object.fromEntries(parsed.searchParams),
          status: reply.status,
        });
        if (requests.length > LOGGED) requests.shift();
        send(res, reply);
        if (body === null) res.once('finish', () => req.destroy());
      },
      () => req.destroy(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  url = `http://${host}:${port}`;
  return {
    url,
    port,
    requests,
    createBucket: (name) => store.createBucket(name),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
