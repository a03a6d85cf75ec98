/**
 * The production durable tier: Neon Postgres through @neondatabase/serverless.
 *
 * Which transport each operation uses, and why:
 * - HTTP (`drizzle-orm/neon-http`, `POST /sql`): every port method. Each is ONE statement, so it needs no
 *   session: one HTTPS round trip, no connection to open or keep warm in a serverless function.
 *   `commit` is a single data-modifying CTE sent as a one-statement batch so it runs under REPEATABLE READ
 *   (see commit-sql.ts): still one round trip, and atomic with its compare-and-set and receipt.
 * - WebSocket (`Pool`, `drizzle-orm/neon-serverless`): `migrateNeon`, whose migrator needs an interactive
 *   transaction across several statements, which HTTP mode cannot hold. No port method needs one today;
 *   a future multi-statement operation (e.g. erasure by user) would go there.
 */
import { Pool } from '@neondatabase/serverless';
import { drizzle as drizzleWs } from 'drizzle-orm/neon-serverless';
import { migrate } from 'drizzle-orm/neon-serverless/migrator';
import type { WithArchiveQueue, WithRunScan } from './archive-queue-port.ts';
import { MIGRATIONS_FOLDER } from './migrations.ts';
import { createNeonHttpTier } from './neon-http.ts';
import { configureNeon } from './neon-local.ts';
import type { DurableTier, TenantDirectory } from './port.ts';

export interface NeonDurableOptions {
  /** `postgres://…` of the database. */
  readonly connectionString: string;
  /**
   * `host:port` of a local bridge (infra/neon-proxy), from NEON_LOCAL_PROXY. It reconfigures the driver for
   * the whole process (see neon-local.ts). @default undefined (Neon itself)
   */
  readonly localProxy?: string;
  /** Deadline of each call in ms; a slower call rejects with TierUnavailable. @default 3000 */
  readonly timeoutMs?: number;
}

/** The tier, with the archive queue (`archiveQueue`) and the run scan (`runScan`) on the same database, one HTTP request per call too. */
export function createNeonDurableTier(
  options: NeonDurableOptions,
): DurableTier & TenantDirectory & WithArchiveQueue & WithRunScan {
  configureNeon(options.localProxy);
  return createNeonHttpTier({
    connectionString: options.connectionString,
    timeoutMs: options.timeoutMs ?? 3000,
  });
}

export interface NeonMigrateOptions {
  /** `postgres://…` of the database to migrate. */
  readonly connectionString: string;
  /** As in NeonDurableOptions. @default undefined */
  readonly localProxy?: string;
  /** @default drizzle/ at the repository root */
  readonly migrationsFolder?: string;
}

/** Applies the migrations in drizzle/ over a WebSocket session (the migrator runs them in one transaction). */
export async function migrateNeon(options: NeonMigrateOptions): Promise<void> {
  configureNeon(options.localProxy);
  const pool = new Pool({ connectionString: options.connectionString, max: 1 });
  try {
    await migrate(drizzleWs({ client: pool }), {
      migrationsFolder: options.migrationsFolder ?? MIGRATIONS_FOLDER,
    });
  } finally {
    await pool.end();
  }
}
