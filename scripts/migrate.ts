/**
 * `npm run db:migrate`: apply the durable tier's migrations (drizzle/) and the archive's (clickhouse/migrations)
 * to the configured backends. The embedded ones (PGlite, chDB) also migrate themselves when they open.
 */
import { mkdir } from 'node:fs/promises';
import { loadConfig } from '../lib/config.ts';
import { createLogger } from '../lib/observability/logger.ts';
import { openTiers } from '../lib/runtime/tiers.ts';
import { migrateClickHouseArchive } from '../lib/tiers/archive/clickhouse.ts';
import { migrateNeon } from '../lib/tiers/durable/neon.ts';

const config = loadConfig();
if (config.durable.kind === 'neon') {
  await migrateNeon({
    connectionString: config.durable.connectionString,
    ...(config.durable.localProxy && { localProxy: config.durable.localProxy }),
  });
  console.log('durable tier (Neon): migrations applied');
}
if (config.archive.kind === 'clickhouse') {
  const { url, username, password, database } = config.archive;
  const applied = await migrateClickHouseArchive({ url, username, password, database });
  console.log(`archive (ClickHouse): ${applied.length ? `applied ${applied.join(', ')}` : 'up to date'}`);
}
if (config.durable.kind === 'pglite' || config.archive.kind === 'chdb') {
  await mkdir(config.dataDir, { recursive: true });
  const tiers = await openTiers(config, createLogger('warn'));
  await tiers.close();
  console.log(`embedded tiers in ${config.dataDir}: migrations applied`);
}
