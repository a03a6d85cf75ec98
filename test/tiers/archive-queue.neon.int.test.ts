/**
 * The archive queue contract through the production driver (Neon HTTP → infra/neon-proxy → the machine's
 * Postgres, in a database of this file's own). Here concurrent claims are real: the bridge runs each HTTP
 * request on its own pooled connection, so SKIP LOCKED and the re-checks under lock are exercised.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TierUnavailable } from '../../lib/errors.ts';
import { createNeonDurableTier } from '../../lib/tiers/durable/neon.ts';
import { archiveQueueContract } from '../contracts/archive-queue.contract.ts';
import { type NeonDatabase, startNeonDatabase } from '../support/neon-database.ts';

let neon: NeonDatabase;

beforeAll(async () => {
  neon = await startNeonDatabase('strata_archive_queue');
});
afterAll(async () => neon?.close());

archiveQueueContract({
  name: 'neon → neon-proxy → postgres',
  create: async () =>
    createNeonDurableTier({ connectionString: neon.url, localProxy: neon.localProxy, timeoutMs: 10_000 }),
});

describe('neon archive queue', () => {
  it('a database that does not answer is TierUnavailable', async () => {
    const dead = createNeonDurableTier({
      connectionString: `postgres://postgres@127.0.0.1:${neon.deadPort}/postgres`,
      localProxy: neon.localProxy,
    });
    await expect(dead.archiveQueue.stats()).rejects.toBeInstanceOf(TierUnavailable);
    await expect(dead.archiveQueue.markArchived('b', Date.now())).rejects.toBeInstanceOf(TierUnavailable);
  });
});
