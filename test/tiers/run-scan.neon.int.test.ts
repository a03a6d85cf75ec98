/**
 * The run scan contract through the production driver (Neon HTTP → infra/neon-proxy → the machine's
 * Postgres, in a database of this file's own). A lagging index is written with a plain Postgres client.
 */
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { type NeonProxy, startNeonProxy } from '../../infra/neon-proxy/server.ts';
import { createNeonDurableTier, migrateNeon } from '../../lib/tiers/durable/neon.ts';
import { runScanContract } from '../contracts/run-scan.contract.ts';
import { createScratchDatabase, type ScratchDatabase } from '../support/scratch-database.ts';

let proxy: NeonProxy;
let db: ScratchDatabase;
const localProxy = () => `127.0.0.1:${proxy.port}`;

beforeAll(async () => {
  proxy = await startNeonProxy();
  db = await createScratchDatabase('strata_run_scan');
  await migrateNeon({ connectionString: db.url, localProxy: localProxy() });
});

afterAll(async () => {
  await proxy?.close();
  await db?.drop();
});

runScanContract({
  name: 'neon → neon-proxy → postgres',
  create: async () =>
    createNeonDurableTier({ connectionString: db.url, localProxy: localProxy(), timeoutMs: 10_000 }),
  async setDurableVersion(tier, key, durableVersion) {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      await client.query('UPDATE runs SET durable_version = $1 WHERE tenant_id = $2 AND run_id = $3', [
        durableVersion,
        key.tenantId,
        key.runId,
      ]);
    } finally {
      await client.end();
    }
    return tier;
  },
});
