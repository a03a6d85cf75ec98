/** The embedded durable tier: Postgres in WASM (PGlite), in memory or in a directory, migrated on create. */
import { PGlite } from '@electric-sql/pglite';
import { drizzle, type PgliteDatabase } from 'drizzle-orm/pglite';
import { migrate } from 'drizzle-orm/pglite/migrator';
import { createArchiveQueue } from './archive-queue.ts';
import type { WithArchiveQueue, WithRunScan } from './archive-queue-port.ts';
import { createDurableGuard } from './durable-guard.ts';
import { MIGRATIONS_FOLDER } from './migrations.ts';
import type { DurableTier, TenantDirectory } from './port.ts';
import { createRunScan } from './run-scan.ts';
import { createSqlStore } from './sql-store.ts';

export interface PgliteDurableOptions {
  /** Directory of the database files; created if absent. @default undefined (in memory, gone on close) */
  readonly dataDir?: string;
  /** Deadline of each call in ms. @default undefined (none: there is no network to hang on) */
  readonly timeoutMs?: number;
}

/**
 * Opens (and migrates) the database. Cold start ≈4 s: create one per process, not per request. The archive
 * queue (`archiveQueue`) and the run scan (`runScan`) must share this PGlite instance (a second one cannot open the
 * same data directory), and closes with the tier.
 */
export async function createPgliteDurableTier(
  options: PgliteDurableOptions = {},
): Promise<DurableTier & TenantDirectory & WithArchiveQueue & WithRunScan> {
  const client = options.dataDir === undefined ? new PGlite() : new PGlite(options.dataDir);
  const db = drizzle({ client });
  try {
    await migratePglite(db);
  } catch (error) {
    await client.close();
    throw error;
  }
  const guard = createDurableGuard(options.timeoutMs);
  const store = createSqlStore(
    {
      db,
      repeatableRead: (query) =>
        client.transaction(async (tx) => {
          await tx.exec('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ');
          return (await tx.query<Record<string, unknown>>(query.sql, [...query.params])).rows;
        }),
      close: () => client.close(),
    },
    guard,
  );
  return { ...store, archiveQueue: createArchiveQueue(db, guard), runScan: createRunScan(db, guard) };
}

/** Applies the migrations in drizzle/ that this database has not seen. */
export function migratePglite(db: PgliteDatabase): Promise<void> {
  return migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });
}
