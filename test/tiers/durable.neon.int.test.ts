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

/**
 * Runs `inspect` on a plain pg connection to the test database, with sequential scans off: a plan then shows
 * whether an index CAN serve a query (its predicate follows from the filter), not the planner's costs.
 */
async function withPlanner(
  inspect: (client: pg.Client, plan: (sql: string) => Promise<string>) => Promise<void>,
): Promise<void> {
  const client = new pg.Client({ connectionString: neon.url });
  await client.connect();
  try {
    await client.query('SET enable_seqscan = off');
    const plan = async (sql: string) =>
      (await client.query(`EXPLAIN ${sql}`)).rows
        .map((row: { 'QUERY PLAN': string }) => row['QUERY PLAN'])
        .join('\n');
    await inspect(client, plan);
  } finally {
    await client.end();
  }
}

describe('neon durable tier', () => {
  it("serves a listing by parent and a user's runs from their partial indexes", async () => {
    await withPlanner(async (client, plan) => {
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
    });
  });

  it('lets the archive mark runs in place: no index names archived_at, pages keep room, the scans keep their indexes', async () => {
    await withPlanner(async (client, plan) => {
      // An index naming archived_at (in its columns or its predicate) makes every mark a non-HOT update of 10,000
      // rows, each writing into every index; room on the page lets the new version stay beside the old one.
      const { rows: indexes } = await client.query(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'runs' ORDER BY indexname",
      );
      expect(indexes.length).toBeGreaterThan(5);
      for (const { indexname, indexdef } of indexes as { indexname: string; indexdef: string }[])
        expect(indexdef, indexname).not.toMatch(/archived_at/);
      const { rows: options } = await client.query("SELECT reloptions FROM pg_class WHERE relname = 'runs'");
      expect(options[0]?.reloptions).toContain('fillfactor=70');
      // The claim's, the oldest-pending and the hot retention scans are still served by their partial indexes.
      expect(
        await plan(
          'SELECT min(completed_at) FROM runs WHERE completed_at IS NOT NULL AND archived_at IS NULL AND archive_batch_id IS NULL',
        ),
      ).toMatch(/runs_archive_pending_idx/);
      expect(
        await plan(
          'SELECT tenant_id, run_id FROM runs WHERE completed_at IS NOT NULL AND archived_at IS NULL AND archive_batch_id IS NULL ORDER BY completed_at, run_id, tenant_id LIMIT 10',
        ),
      ).toMatch(/runs_archive_pending_idx/);
      expect(
        await plan(
          "SELECT tenant_id, run_id FROM runs WHERE archived_at IS NOT NULL AND archive_batch_id IS NOT NULL AND hot_purged_at IS NULL AND completed_at < '2030-01-01' ORDER BY completed_at LIMIT 10",
        ),
      ).toMatch(/runs_hot_purge_idx/);
    });
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
