/**
 * Points the Neon serverless driver at a local bridge (infra/neon-proxy) instead of Neon's edge.
 * Hand-written because no maintained package does this; see infra/neon-proxy/server.ts.
 */
import { neonConfig } from '@neondatabase/serverless';
import ws from 'ws';
import { keepAliveFetch } from '../../http/keep-alive-fetch.ts';

/**
 * Configures the driver for this process; `localProxy` comes from NEON_LOCAL_PROXY (lib/config.ts), e.g.
 * `127.0.0.1:4444`. `neonConfig` is global: every Pool and `neon()` client in the
 * process follows the last call. Without `localProxy` only the WebSocket class (Node 20 has no global
 * WebSocket) and the fetch function are set, and Neon's endpoints stay.
 */
export function configureNeon(localProxy?: string): void {
  neonConfig.webSocketConstructor = ws;
  // HTTP mode's calls (every port method) over undici's request API instead of the global fetch (why: the module).
  neonConfig.fetchFunction = keepAliveFetch;
  if (!localProxy) return;
  if (!/^[^:/\s]+:\d{1,5}$/.test(localProxy)) {
    throw new Error(`NEON_LOCAL_PROXY must be host:port (e.g. 127.0.0.1:4444), got "${localProxy}"`);
  }
  neonConfig.wsProxy = (host, port) => `${localProxy}/v1?address=${host}:${port}`;
  neonConfig.fetchEndpoint = `http://${localProxy}/sql`;
  // The bridge speaks plain ws:// and plain TCP to Postgres. Pipelining the password ahead of the server's
  // request breaks SCRAM (the first query fails), and there is no TLS to pipeline.
  neonConfig.useSecureWebSocket = false;
  neonConfig.pipelineTLS = false;
  neonConfig.pipelineConnect = false;
}
