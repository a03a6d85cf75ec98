/** `npm run db:migrate`: apply drizzle/ migrations to the configured durable tier (Neon, or the embedded PGlite). */
import { mkdir } from 'node:fs/promises';
import { loadConfig } from '../lib/config.ts';
import { openTiers } from '../lib/runtime/tiers.ts';
import { migrateNeon } from '../lib/tiers/durable/neon.ts';

const config = loadConfig();
if (config.durable.kind === 'neon') {
  await migrateNeon({
    connectionString: config.durable.connectionString,
    ...(config.durable.localProxy && { localProxy: config.durable.localProxy }),
  });
  console.log('durable tier (Neon): migrations applied');
} else {
  // PGlite migrates itself when it opens.
  await mkdir(config.dataDir, { recursive: true });
  const tiers = await openTiers(config);
  await tiers.close();
  console.log(`durable tier (PGlite in ${config.dataDir}): migrations applied`);
}
