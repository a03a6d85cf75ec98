/** CLI: `tsx infra/neon-proxy/main.ts` serves the Neon bridge until interrupted. */
import { startNeonProxy } from './server.ts';

const port = Number(process.env.NEON_PROXY_PORT ?? 4444);
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  console.error(`NEON_PROXY_PORT must be a port number, got "${process.env.NEON_PROXY_PORT}"`);
  process.exit(2);
}
// Comma-separated host:port list, e.g. NEON_PROXY_TARGETS=127.0.0.1:5432,127.0.0.1:5433
const allowedTargets = process.env.NEON_PROXY_TARGETS?.split(',').map((t) => t.trim()) ?? ['127.0.0.1:5432'];

const proxy = await startNeonProxy({ port, allowedTargets });
console.log(`neon-proxy listening on 127.0.0.1:${proxy.port} → ${allowedTargets.join(', ')}
export NEON_LOCAL_PROXY=127.0.0.1:${proxy.port}
export DATABASE_URL=postgres://postgres@${allowedTargets[0] ?? '127.0.0.1:5432'}/postgres`);

const stop = () => void proxy.close().then(() => process.exit(0));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
