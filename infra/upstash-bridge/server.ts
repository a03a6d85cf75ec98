/**
 * Upstash REST bridge · server: hosts the protocol handler on node:http, reading bodies with a size limit.
 * Hand-written because no maintained package reproduces the Upstash REST protocol faithfully.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BridgeRequest, BridgeResponse } from './handler.ts';

/** State payloads are large; this only stops a runaway client from exhausting memory. */
const MAX_BODY_BYTES = 32 * 1024 * 1024;

class BodyTooLarge extends Error {}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new BodyTooLarge());
        req.pause();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, reply: BridgeResponse): void {
  const json = JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(json),
  });
  res.end(json);
}

export interface ListeningServer {
  readonly url: string;
  close(): Promise<void>;
}

export function listen(
  handle: (req: BridgeRequest) => Promise<BridgeResponse>,
  opts: { port: number; host: string },
): Promise<ListeningServer> {
  const server: Server = createServer((req, res) => {
    readBody(req)
      .then((body) =>
        handle({
          method: req.method ?? 'GET',
          path: new URL(req.url ?? '/', 'http://bridge').pathname,
          authorization: req.headers.authorization,
          encoding: req.headers['upstash-encoding']?.toString(),
          body,
        }),
      )
      .then(
        (reply) => send(res, reply),
        (e: unknown) => {
          const tooLarge = e instanceof BodyTooLarge;
          send(res, {
            status: tooLarge ? 413 : 500,
            body: {
              error: tooLarge ? `ERR request body exceeds ${MAX_BODY_BYTES} bytes` : `ERR ${String(e)}`,
            },
          });
          if (tooLarge) res.once('finish', () => req.destroy());
        },
      );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://${opts.host}:${port}`,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            // Keep-alive sockets of clients would otherwise hold close() open.
            server.closeAllConnections();
          }),
      });
    });
  });
}
