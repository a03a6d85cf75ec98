/**
 * `npm run bridges`: the Upstash REST bridge and the Neon proxy in one process, in front of the machine's Redis
 * and Postgres, printing the production variables to export so `npm start` runs on the real engines.
 */
import { startNeonProxy } from './neon-proxy/server.ts';
import { startUpstashBridge } from './upstash-bridge/index.ts';

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const postgres = process.env.PGTARGET ?? '127.0.0.1:5432';
const database = process.env.PGDATABASE ?? 'postgres';

const bridge = await startUpstashBridge({
  redisUrl,
  port: Number(process.env.UPSTASH_BRIDGE_PORT ?? 8079),
  ...(process.env.UPSTASH_REDIS_REST_TOKEN && { token: process.env.UPSTASH_REDIS_REST_TOKEN }),
});
const proxy = await startNeonProxy({
  port: Number(process.env.NEON_PROXY_PORT ?? 4444),
  allowedTargets: [postgres],
});

console.log(`Bridges up (Ctrl-C to stop). In another shell:

export UPSTASH_REDIS_REST_URL=${bridge.url}
export UPSTASH_REDIS_REST_TOKEN=${bridge.token}
export DATABASE_URL=postgres://postgres@${postgres}/${database}
export NEON_LOCAL_PROXY=127.0.0.1:${proxy.port}
npm run db:migrate && npm start
`);

const stop = () => void Promise.allSettled([bridge.close(), proxy.close()]).then(() => process.exit(0));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
