/**
 * The run scan contract through the production driver (Neon HTTP → infra/neon-proxy → the machine's
 * Postgres, in a database of this file's own). A lagging index is written with a plain Postgres client.
 */
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { createNeonDurableTier } from '../../lib/tiers/durable/neon.ts';
import { runScanContract } from '../contracts/run-scan.contract.ts';
import { type NeonDatabase, startNeonDatabase } from '../support/neon-database.ts';

let neon: NeonDatabase;

beforeAll(async () => {
  neon = await startNeonDatabase('strata_run_scan');
});
afterAll(async () => neon?.close());

runScanContract({
  name: 'neon → neon-proxy → postgres',
  create: async () =>
    createNeonDurableTier({ connectionString: neon.url, localProxy: neon.localProxy, timeoutMs: 10_000 }),
  async setDurableVersion(tier, key, durableVersion) {
    const client = new pg.Client({ connectionString: neon.url });
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
