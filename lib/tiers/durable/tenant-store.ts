/** The TenantDirectory half of the SQL store: tenants and their API keys (stored only as sha256 hashes). */
import { and, eq, sql } from 'drizzle-orm';
import { NotFound } from '../../errors.ts';
import { type DurableGuard, pgErrorCode } from './durable-guard.ts';
import type { TenantDirectory } from './port.ts';
import { toTenant } from './rows.ts';
import { apiKeys, tenants } from './schema.ts';
import type { DurableDb } from './sql-store.ts';

export function createTenantStore(db: DurableDb, guard: DurableGuard): TenantDirectory {
  return {
    createTenant: (tenant) =>
      guard('createTenant', async () => {
        // An existing id comes back unchanged, so a retried create is harmless and never rewrites a plan.
        const [row] = await db
          .insert(tenants)
          .values(tenant)
          .onConflictDoUpdate({ target: tenants.id, set: { id: sql`excluded.id` } })
          .returning();
        if (!row) throw new Error('createTenant returned no row');
        return toTenant(row);
      }),

    getTenant: (id) =>
      guard('getTenant', async () => {
        const [row] = await db.select().from(tenants).where(eq(tenants.id, id));
        return row ? toTenant(row) : null;
      }),

    setPlan: (id, plan) =>
      guard('setPlan', async () => {
        const [row] = await db.update(tenants).set({ plan }).where(eq(tenants.id, id)).returning();
        return row ? toTenant(row) : null;
      }),

    addApiKey: (tenantId, key) =>
      guard('addApiKey', async () => {
        try {
          // A hash that exists stays as it is: re-adding never revives a revoked key or moves it to another tenant.
          await db
            .insert(apiKeys)
            .values({ tenantId, ...key })
            .onConflictDoNothing();
        } catch (error) {
          if (pgErrorCode(error) === '23503') throw new NotFound(`tenant "${tenantId}" does not exist`);
          throw error;
        }
      }),

    findTenantByKeyHash: (keyHash) =>
      guard('findTenantByKeyHash', async () => {
        const [row] = await db
          .select({ tenant: tenants })
          .from(apiKeys)
          .innerJoin(tenants, eq(tenants.id, apiKeys.tenantId))
          .where(and(eq(apiKeys.keyHash, keyHash), sql`${apiKeys.revokedAt} IS NULL`));
        return row ? toTenant(row.tenant) : null;
      }),

    revokeApiKey: (keyHash) =>
      guard('revokeApiKey', async () => {
        const revoked = await db
          .update(apiKeys)
          .set({ revokedAt: sql`now()` })
          .where(and(eq(apiKeys.keyHash, keyHash), sql`${apiKeys.revokedAt} IS NULL`))
          .returning({ keyHash: apiKeys.keyHash });
        return revoked.length > 0;
      }),
  };
}
