/**
 * The durable contract through the production driver: @neondatabase/serverless → infra/neon-proxy (in process,
 * free port) → the machine's Postgres, in a database of this file's own.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NeonProxy, startNeonProxy } from '../../infra/neon-proxy/server.ts';
import { TierUnavailable } from '../../lib/errors.ts';
import { createNeonDurableTier, migrateNeon } from '../../lib/tiers/durable/neon.ts';
import { durableContract, fields, newKey } from '../contracts/durable.contract.ts';
import { freePort } from '../support/ports.ts';
import { createScratchDatabase, type ScratchDatabase } from '../support/scratch-database.ts';

let proxy: NeonProxy;
let db: ScratchDatabase;
let deadPort: number;
const localProxy = () => `127.0.0.1:${proxy.port}`;

beforeAll(async () => {
  deadPort = await freePort(); // allow-listed, but nothing listens there
  proxy = await startNeonProxy({ allowedTargets: ['127.0.0.1:5432', `127.0.0.1:${deadPort}`] });
  db = await createScratchDatabase('strata_durable');
  await migrateNeon({ connectionString: db.url, localProxy: localProxy() });
});

afterAll(async () => {
  await proxy?.close();
  await db?.drop();
});

durableContract({
  name: 'neon → neon-proxy → postgres',
  create: async () =>
    createNeonDurableTier({ connectionString: db.url, localProxy: localProxy(), timeoutMs: 10_000 }),
});

describe('neon durable tier', () => {
  it('migrating again is a no-op, and the migration session is closed', async () => {
    await migrateNeon({ connectionString: db.url, localProxy: localProxy() });
    for (let i = 0; i < 50 && proxy.openTunnels > 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(proxy.openTunnels).toBe(0);
  });

  it('a database that does not answer is TierUnavailable, with the cause', async () => {
    const dead = createNeonDurableTier({
      connectionString: `postgres://postgres@127.0.0.1:${deadPort}/postgres`,
      localProxy: localProxy(),
    });
    await expect(dead.ping()).rejects.toBeInstanceOf(TierUnavailable);
    const missing = createNeonDurableTier({
      connectionString: db.url.replace(db.name, `${db.name}_missing`),
      localProxy: localProxy(),
    });
    const error = await missing.getRun(newKey()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TierUnavailable);
    expect(String((error as TierUnavailable).message)).toMatch(/does not exist/);
    expect((error as TierUnavailable).cause).toBeDefined();
  });

  it('a call slower than timeoutMs rejects with TierUnavailable', async () => {
    const tier = createNeonDurableTier({
      connectionString: db.url,
      localProxy: localProxy(),
      timeoutMs: 300,
    });
    const key = newKey();
    await tier.ensureRun(key, fields());
    const locker = new pg.Client({ connectionString: db.url });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE runs IN ACCESS EXCLUSIVE MODE');
      const started = Date.now();
      await expect(tier.getRun(key)).rejects.toThrow(/getRun took longer than 300 ms/);
      expect(Date.now() - started).toBeLessThan(2_000);
    } finally {
      await locker.query('ROLLBACK');
      await Promise.race([locker.end(), new Promise((r) => setTimeout(r, 2_000))]);
    }
    // Once the lock is gone the same tier answers again.
    expect(await tier.getRun(key)).toMatchObject({ runId: key.runId });
  });
});
