/**
 * The chDB fetch handler on a loopback port, for curl and for other processes (a real URL for
 * `@clickhouse/client-web`, `@clickhouse/client` or plain `fetch`). node:http is only the adapter:
 * every ClickHouse rule lives in the Web-standard handler.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type ChdbHttpHandler, type ChdbHttpOptions, createChdbHandler } from './fetch.ts';

export interface ChdbHttpServerOptions extends ChdbHttpOptions {
  /** TCP port; 0 picks a free one. @default 0 */
  readonly port?: number;
  /** Interface to listen on; keep it loopback, chDB has no authentication. @default '127.0.0.1' */
  readonly host?: string;
}

export interface ChdbHttpServer {
  /** Base URL, e.g. `http://127.0.0.1:8123`. */
  readonly url: string;
  /** Stops listening, waits for queued queries, releases the data directory. */
  close(): Promise<void>;
}

export async function startChdbHttpServer(options: ChdbHttpServerOptions): Promise<ChdbHttpServer> {
  const { port = 0, host = '127.0.0.1' } = options;
  const handler = createChdbHandler(options);
  const server = createServer((req, res) => {
    serve(handler, req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain; charset=UTF-8' });
      res.end(`chdb-http: ${err instanceof Error ? err.message : String(err)}\n`);
    });
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
  } catch (err) {
    await handler.close();
    throw err;
  }
  const address = server.address() as AddressInfo;
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${urlHost}:${address.port}`,
    close: async () => {
      server.closeIdleConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await handler.close();
    },
  };
}

async function serve(handler: ChdbHttpHandler, req: IncomingMessage, res: ServerResponse): Promise<void> {
  // A client that hangs up aborts its request, so a query still queued is skipped.
  const abort = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) abort.abort(new Error('client closed the connection'));
  });
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value])
      headers.append(name, v);
  }
  const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
  const body = hasBody ? await readAll(req) : undefined;
  // Only the path and query matter to the handler; the Host header is not trusted to form a URL.
  const request = new Request(`http://localhost${req.url ?? '/'}`, {
    method: req.method ?? 'GET',
    headers,
    signal: abort.signal,
    ...(body ? { body } : {}),
  });
  const response = await handler.handle(request);
  const outHeaders: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    outHeaders[name] = value;
  });
  res.writeHead(response.status, outHeaders);
  res.end(Buffer.from(await response.arrayBuffer()));
}

async function readAll(req: IncomingMessage): Promise<Uint8Array<ArrayBuffer>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return new Uint8Array(Buffer.concat(chunks));
}
