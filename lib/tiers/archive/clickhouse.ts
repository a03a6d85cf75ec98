/**
 * The production archive tier: ClickHouse over HTTP through `@clickhouse/client-web`. Locally and in tests the
 * same client runs against chDB in process (`fetch: createChdbFetch({ dataDir })`). The schema comes from
 * clickhouse/migrations: run `migrateClickHouseArchive` (migrate.ts) before opening the tier.
 */

import { createArchiveGuard } from './archive-guard.ts';
import { type ClickHouseArchiveOptions, DEFAULT_DATABASE, deadlinesOf, openClient } from './connection.ts';
import { deleteRun, deleteUser } from './erase.ts';
import type { ArchiveTier } from './port.ts';
import { ArchiveReader } from './read.ts';
import { writeBatch } from './write.ts';

export type { ClickHouseArchiveOptions } from './connection.ts';
export { migrateClickHouseArchive } from './migrate.ts';

export function createClickHouseArchiveTier(options: ClickHouseArchiveOptions): ArchiveTier {
  const client = openClient(options, options.database ?? DEFAULT_DATABASE);
  const reader = new ArchiveReader(client);
  let closed = false;
  const guard = createArchiveGuard(deadlinesOf(options), () => closed);
  return {
    writeBatch: (batch) => guard('writeBatch', 'write', (signal) => writeBatch(client, batch, signal)),
    getRun: (key) => guard('getRun', 'read', (signal) => reader.getRun(key, signal)),
    loadLatest: (key) => guard('loadLatest', 'read', (signal) => reader.loadLatest(key, signal)),
    loadVersion: (key, version) =>
      guard('loadVersion', 'read', (signal) => reader.loadVersion(key, version, signal)),
    listCheckpoints: (key, page) =>
      guard('listCheckpoints', 'read', (signal) => reader.listCheckpoints(key, page, signal)),
    costs: (tenantId, query) => guard('costs', 'read', (signal) => reader.costs(tenantId, query, signal)),
    totals: (tenantId) => guard('totals', 'read', (signal) => reader.totals(tenantId, signal)),
    deleteRun: (key) => guard('deleteRun', 'write', (signal) => deleteRun(client, key, signal)),
    deleteUser: (tenantId, userId) =>
      guard('deleteUser', 'write', (signal) => deleteUser(client, tenantId, userId, signal)),
    ping: () => guard('ping', 'read', (signal) => reader.ping(signal)),
    async close() {
      if (closed) return;
      closed = true;
      // The fetch (chDB's, in tests) belongs to the caller: closing the tier does not close the engine.
      await client.close();
    },
  };
}
