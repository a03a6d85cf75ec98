/** The durable contract against PGlite in memory (the embedded default), plus what only PGlite shows. */
import { describe, expect, it } from 'vitest';
import { TierUnavailable } from '../../lib/errors.ts';
import { createPgliteDurableTier } from '../../lib/tiers/durable/pglite.ts';
import { durableContract } from '../contracts/durable.contract.ts';

durableContract({ name: 'pglite (memory)', create: () => createPgliteDurableTier() });

describe('pglite durable tier', () => {
  it('keeps its data in dataDir across a reopen', async () => {
    const { mkdtemp, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dataDir = await mkdtemp(join(tmpdir(), 'strata-pglite-'));
    try {
      const key = { tenantId: 't', runId: 'r' };
      const run = {
        agentName: 'a',
        parentRunId: null,
        threadId: null,
        userId: null,
        status: 'running' as const,
      };
      const first = await createPgliteDurableTier({ dataDir });
      await first.createTenant({ id: 't', name: 'T', plan: 'mid' });
      await first.ensureRun(key, run);
      await first.close();
      // Reopening runs the migrations again: they must be a no-op on a migrated database.
      const second = await createPgliteDurableTier({ dataDir });
      expect(await second.getTenant('t')).toMatchObject({ plan: 'mid' });
      expect(await second.getRun(key)).toMatchObject({ runId: 'r', durableVersion: 0 });
      await second.close();
      // A closed database is an unavailable tier, not a crash.
      await expect(second.ping()).rejects.toBeInstanceOf(TierUnavailable);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
