/**
 * A local stand-in for Neon's edge, so @neondatabase/serverless reaches a real Postgres with no Docker:
 * WebSocket mode at `/v1?address=host:port` and HTTP mode at `POST /sql`, on one HTTP server.
 * Hand-written because no maintained npm package does this: Neon's own local proxies (wsproxy,
 * local-neon-http-proxy) ship as Docker images, and there is no Docker on the project's machines.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSqlEndpoint } from './sql-endpoint.ts';
import { createTunnels } from './ws-tunnel.ts';

export interface NeonProxyOptions {
  /** Port to listen on; 0 picks a free one. @default 0 */
  readonly port?: number;
  /** Interface to listen on. @default '127.0.0.1' */
  readonly host?: string;
  /** `host:port` of the Postgres servers clients may reach, matched exactly. @default ['127.0.0.1:5432'] */
  readonly allowedTargets?: readonly string[];
}

export interface NeonProxy {
  readonly port: number;
  /** WebSocket↔TCP pairs currently open. */
  readonly openTunnels: number;
  /** Drops open tunnels, ends the /sql pools and stops listening. */
  close(): Promise<void>;
}

export async function startNeonProxy(options: NeonProxyOptions = {}): Promise<NeonProxy> {
  const { port = 0, host = '127.0.0.1', allowedTargets = ['127.0.0.1:5432'] } = options;
  const allowed = new Set(allowedTargets);
  const tunnels = createTunnels(allowed);
  const sql = createSqlEndpoint(allowed);

  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://proxy').pathname;
    if (req.method === 'POST' && path === '/sql') return void sql.handle(req, res);
    res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ message: 'not found' }));
  });
  server.on('upgrade', (req, socket, head) => tunnels.handleUpgrade(req, socket, head));

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });

  return {
    port: (server.address() as AddressInfo).port,
    get openTunnels() {
      return tunnels.openCount;
    },
    async close() {
      tunnels.closeAll();
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await Promise.all([stopped, sql.close()]);
    },
  };
}
