/**
 * The durable tier as a Worker reaches Neon: HTTP mode only (`neon()` + drizzle-orm/neon-http), the same SQL
 * store as lib/tiers/durable/neon.ts without its WebSocket half (`Pool`, the migrator, `ws`), which a Worker
 * neither needs nor can bundle: every port method is one statement, one `POST /sql`.
 */
import { neonConfig } from '@neondatabase/serverless';
import type { WithArchiveQueue, WithRunScan } from '../tiers/durable/archive-queue-port.ts';
import { createNeonHttpTier } from '../tiers/durable/neon-http.ts';
import type { DurableTier, TenantDirectory } from '../tiers/durable/port.ts';

export interface WorkerNeonOptions {
  /** `postgres://…` of the database (DATABASE_URL). */
  readonly connectionString: string;
  /** `host:port` of infra/neon-proxy (NEON_LOCAL_PROXY); its `/sql` endpoint replaces Neon's. @default null */
  readonly localProxy: string | null;
  /** Deadline of each call in ms. */
  readonly timeoutMs: number;
}

export function createWorkerNeonTier(
  options: WorkerNeonOptions,
): DurableTier & TenantDirectory & WithArchiveQueue & WithRunScan {
  // neonConfig is global to the isolate; every tier of this Worker points the same way.
  if (options.localProxy !== null) neonConfig.fetchEndpoint = `http://${options.localProxy}/sql`;
  return createNeonHttpTier(options);
}
