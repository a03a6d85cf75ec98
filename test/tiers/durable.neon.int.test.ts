/**
 * The durable contract through the production driver: @neondatabase/serverless → infra/neon-proxy (in process,
 * free port) → the machine's Postgres, in a database of this file's own.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TierUnavailable } from '../../lib/errors.ts';
import { createNeonDurableTier, migrateNeon } from '../../lib/tiers/durable/neon.ts';
import { durableContract, fields, newKey } from '../contracts/durable.contract.ts';
import { type NeonDatabase, startNeonDatabase } from '../support/neon-database.ts';

let neon: NeonDatabase;

beforeAll(async () => {
  neon = await startNeonDatabase('strata_durable');
});
afterAll(async () => neon?.close());

durableContract({
  name: 'neon → neon-proxy → postgres',
  create: async () =>
    createNeonDurableTier({ connectionString: neon.url, localProxy: neon.localProxy, timeoutMs: 10_000 }),
});

describe('neon durable tier', () => {
  it("serves a listing by parent and a user's runs from their partial indexes", async () => {
    const client = new pg.Client({ connectionString: neon.url });
    await client.connect();
    try {
      // Whether the index CAN serve the query (its predicate follows from the filter), not the planner's costs.
      await client.query('SET enable_seqscan = off');
      const plan = async (sql: string) =>
        (await client.query(`EXPLAIN ${sql}`)).rows
          .map((row: { 'QUERY PLAN': string }) => row['QUERY PLAN'])
          .join('\n');
      const byParent = await client.query(
        'PREPARE by_parent(text, text) AS SELECT run_id FROM runs WHERE tenant_id = $1 AND parent_run_id = $2 ORDER BY created_at DESC, run_id DESC LIMIT 51',
      );
      expect(byParent.command).toBe('PREPARE');
      await client.query('SET plan_cache_mode = force_generic_plan');
      expect(await plan("EXECUTE by_parent('t', 'p')")).toMatch(/runs_tenant_parent_idx/);
      expect(await plan("SELECT run_id FROM runs WHERE tenant_id = 't' AND user_id = 'u'")).toMatch(
        /runs_tenant_user_idx/,
      );
      // …and a run without a parent or a user is in neither (the archive's claim and mark skip their upkeep).
      const { rows } = await client.query(
        "SELECT indexdef FROM pg_indexes WHERE indexname IN ('runs_tenant_parent_idx', 'runs_tenant_user_idx') ORDER BY indexname",
      );
      expect(rows.map((row: { indexdef: string }) => row.indexdef)).toEqual([
        expect.stringMatching(/WHERE \(?parent_run_id IS NOT NULL\)?$/),
        expect.stringMatching(/WHERE \(?user_id IS NOT NULL\)?$/),
      ]);
    } finally {
      await client.end();
    }
  });

  it('migrating again is a no-op, and the migration session is closed', async () => {
    await migrateNeon({ connectionString: neon.url, localProxy: neon.localProxy });
    for (let i = 0; i < 50 && neon.proxy.openTunnels > 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(neon.proxy.openTunnels).toBe(0);
  });

  it('a database that does not answer is TierUnavailable, with the cause', async () => {
    const dead = createNeonDurableTier({
      connectionString: `postgres://postgres@127.0.0.1:${neon.deadPort}/postgres`,
      localProxy: neon.localProxy,
    });
    await expect(dead.ping()).rejects.toBeInstanceOf(TierUnavailable);
    const missing = createNeonDurableTier({
      connectionString: neon.url.replace(/\/([^/]+)$/, '/$1_missing'),
      localProxy: neon.localProxy,
    });
    const error = await missing.getRun(newKey()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TierUnavailable);
    expect(String((error as TierUnavailable).message)).toMatch(/does not exist/);
    expect((error as TierUnavailable).cause).toBeDefined();
  });

  it('a call slower than timeoutMs rejects with TierUnavailable', async () => {
    const tier = createNeonDurableTier({
      connectionString: neon.url,
      localProxy: neon.localProxy,
      timeoutMs: 300,
    });
    const key = newKey();
    await tier.ensureRun(key, fields());
    const locker = new pg.Client({ connectionString: neon.url });
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
