/** The archive queue contract against PGlite in memory (one connection: concurrent claims run one by one). */
import { describe, expect, it } from 'vitest';
import { TierUnavailable } from '../../lib/errors.ts';
import { createPgliteDurableTier } from '../../lib/tiers/durable/pglite.ts';
import { archiveQueueContract } from '../contracts/archive-queue.contract.ts';

archiveQueueContract({ name: 'pglite (memory)', create: () => createPgliteDurableTier() });

describe('pglite archive queue', () => {
  it('shares the tier’s database and closes with it: afterwards every call is TierUnavailable', async () => {
    const tier = await createPgliteDurableTier();
    expect(await tier.archiveQueue.stats()).toEqual({ pending: 0, batchesInFlight: 0, archived: 0 });
    await tier.close();
    await expect(tier.archiveQueue.stats()).rejects.toBeInstanceOf(TierUnavailable);
    await expect(
      tier.archiveQueue.claimBatch({ limit: 1, leaseMs: 1, now: Date.now(), newBatchId: 'b' }),
    ).rejects.toBeInstanceOf(TierUnavailable);
  });
});
