/**
 * The archive queue contract through the production driver (Neon HTTP → infra/neon-proxy → the machine's
 * Postgres, in a database of this file's own). Here concurrent claims are real: the bridge runs each HTTP
 * request on its own pooled connection, so SKIP LOCKED and the re-checks under lock are exercised.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NeonProxy, startNeonProxy } from '../../infra/neon-proxy/server.ts';
import { TierUnavailable } from '../../lib/errors.ts';
import { createNeonDurableTier, migrateNeon } from '../../lib/tiers/durable/neon.ts';
import { archiveQueueContract } from '../contracts/archive-queue.contract.ts';
import { freePort } from '../support/ports.ts';
import { createScratchDatabase, type ScratchDatabase } from '../support/scratch-database.ts';

let proxy: NeonProxy;
let db: ScratchDatabase;
let deadPort: number;
const localProxy = () => `127.0.0.1:${proxy.port}`;

beforeAll(async () => {
  deadPort = await freePort(); // allow-listed, but nothing listens there
  proxy = await startNeonProxy({ allowedTargets: ['127.0.0.1:5432', `127.0.0.1:${deadPort}`] });
  db = await createScratchDatabase('strata_archive_queue');
  await migrateNeon({ connectionString: db.url, localProxy: localProxy() });
});

afterAll(async () => {
  await proxy?.close();
  await db?.drop();
});

archiveQueueContract({
  name: 'neon → neon-proxy → postgres',
  create: async () =>
    createNeonDurableTier({ connectionString: db.url, localProxy: localProxy(), timeoutMs: 10_000 }),
});

describe('neon archive queue', () => {
  it('a database that does not answer is TierUnavailable', async () => {
    const dead = createNeonDurableTier({
      connectionString: `postgres://postgres@127.0.0.1:${deadPort}/postgres`,
      localProxy: localProxy(),
    });
    await expect(dead.archiveQueue.stats()).rejects.toBeInstanceOf(TierUnavailable);
    await expect(dead.archiveQueue.markArchived('b', Date.now())).rejects.toBeInstanceOf(TierUnavailable);
  });
});
