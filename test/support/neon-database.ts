/**
 * A scratch database on the machine's Postgres, migrated, reached the way production reaches Neon: through
 * infra/neon-proxy on a free port. Also allow-lists a port nothing listens on, for "database is gone" tests.
 */
import { type NeonProxy, startNeonProxy } from '../../infra/neon-proxy/server.ts';
import { migrateNeon } from '../../lib/tiers/durable/neon.ts';
import { freePort } from './ports.ts';
import { createScratchDatabase } from './scratch-database.ts';

export interface NeonDatabase {
  readonly url: string;
  /** `host:port` of the proxy, as NEON_LOCAL_PROXY takes it. */
  readonly localProxy: string;
  readonly proxy: NeonProxy;
  /** Allow-listed by the proxy, but nothing listens there. */
  readonly deadPort: number;
  close(): Promise<void>;
}

export async function startNeonDatabase(prefix: string): Promise<NeonDatabase> {
  const deadPort = await freePort();
  const proxy = await startNeonProxy({ allowedTargets: ['127.0.0.1:5432', `127.0.0.1:${deadPort}`] });
  const database = await createScratchDatabase(prefix);
  const localProxy = `127.0.0.1:${proxy.port}`;
  await migrateNeon({ connectionString: database.url, localProxy });
  return {
    url: database.url,
    localProxy,
    proxy,
    deadPort,
    async close() {
      await proxy.close();
      await database.drop();
    },
  };
}
