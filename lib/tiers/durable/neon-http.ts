/**
 * The durable tier over Neon's HTTP mode (`neon()` + drizzle-orm/neon-http): every port method is one statement,
 * one `POST /sql`; `commit` is a one-statement batch so it runs under REPEATABLE READ, still one round trip.
 * Web-standard (fetch only): neon.ts uses it in Node, lib/runtime/worker-neon.ts in a Worker; each points the
 * driver at its endpoint first (neonConfig is global to the process or isolate).
 */
import { neon } from '@neondatabase/serverless';
import { drizzle } from 'drizzle-orm/neon-http';
import { createArchiveQueue } from './archive-queue.ts';
import type { WithArchiveQueue, WithRunScan } from './archive-queue-port.ts';
import { createDurableGuard } from './durable-guard.ts';
import type { DurableTier, TenantDirectory } from './port.ts';
import { createRunScan } from './run-scan.ts';
import { createSqlStore } from './sql-store.ts';

export interface NeonHttpOptions {
  /** `postgres://…` of the database. */
  readonly connectionString: string;
  /** Deadline of each call in ms; a slower call rejects with TierUnavailable. */
  readonly timeoutMs: number;
}

export function createNeonHttpTier(
  options: NeonHttpOptions,
): DurableTier & TenantDirectory & WithArchiveQueue & WithRunScan {
  const client = neon(options.connectionString);
  const db = drizzle({ client });
  const guard = createDurableGuard(options.timeoutMs);
  const store = createSqlStore(
    {
      db,
      async repeatableRead(query) {
        const [rows] = await client.transaction([client.query(query.sql, [...query.params])], {
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
