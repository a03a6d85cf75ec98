/**
 * The durable tier as a Worker reaches Neon: HTTP mode only (`neon()` + drizzle-orm/neon-http), the same SQL
 * store as lib/tiers/durable/neon.ts without its WebSocket half (`Pool`, the migrator, `ws`), which a Worker
 * neither needs nor can bundle: every port method is one statement, one `POST /sql`.
 */
import { neon, neonConfig } from '@neondatabase/serverless';
import { drizzle } from 'drizzle-orm/neon-http';
import { PgDialect } from 'drizzle-orm/pg-core';
import { createArchiveQueue } from '../tiers/durable/archive-queue.ts';
import type { WithArchiveQueue, WithRunScan } from '../tiers/durable/archive-queue-port.ts';
import { createGuard } from '../tiers/durable/guard.ts';
import type { DurableTier, TenantDirectory } from '../tiers/durable/port.ts';
import { createRunScan } from '../tiers/durable/run-scan.ts';
import { createSqlStore } from '../tiers/durable/sql-store.ts';

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
  const client = neon(options.connectionString);
  const db = drizzle({ client });
  const dialect = new PgDialect();
  const guard = createGuard(options.timeoutMs);
  const store = createSqlStore(
    {
      db,
      // One statement as a one-statement batch, so it runs under REPEATABLE READ in one round trip.
      async repeatableRead(statement) {
        const query = dialect.sqlToQuery(statement);
        const [rows] = await client.transaction([client.query(query.sql, query.params)], {
          isolationLevel: 'RepeatableRead',
        });
        return rows ?? [];
      },
      // Nothing to release: HTTP mode holds no connection.
      close: async () => {},
    },
    guard,
  );
  return { ...store, archiveQueue: createArchiveQueue(db, guard), runScan: createRunScan(db, guard) };
}
