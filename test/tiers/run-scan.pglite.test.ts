/**
 * The run scan contract against PGlite in a temporary directory: a lagging index is written by closing the
 * tier and opening the directory directly (two PGlite instances must not share one directory at once).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll } from 'vitest';
import { createPgliteDurableTier } from '../../lib/tiers/durable/pglite.ts';
import { runScanContract } from '../contracts/run-scan.contract.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'strata-run-scan-'));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

runScanContract({
  name: 'pglite (directory)',
  create: () => createPgliteDurableTier({ dataDir: dir }),
  async setDurableVersion(tier, key, durableVersion) {
    await tier.close();
    const raw = new PGlite(dir);
    try {
      await raw.query('UPDATE runs SET durable_version = $1 WHERE tenant_id = $2 AND run_id = $3', [
        durableVersion,
        key.tenantId,
        key.runId,
      ]);
    } finally {
      await raw.close();
    }
    return createPgliteDurableTier({ dataDir: dir });
  },
});
