/** drain-outbox over the memory hot tier and PGlite: a head Postgres refuses as data is set aside, the rest drain. */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drainOutbox } from '../../lib/lifecycle/drain-outbox.ts';
import { canonicalJson, sha256Hex } from '../../lib/model/canonical.ts';
import { silentLogger } from '../../lib/observability/logger.ts';
import { createPgliteDurableTier } from '../../lib/tiers/durable/pglite.ts';
import type { DurableTier, TenantDirectory } from '../../lib/tiers/durable/port.ts';
import { createMemoryHotTier } from '../../lib/tiers/hot/memory.ts';
import type { HotTier } from '../../lib/tiers/hot/port.ts';
import type { RunKey, StoredVersion } from '../../lib/tiers/types.ts';

let durable: DurableTier & TenantDirectory;
let hot: HotTier;
const tenantId = `t-${randomUUID()}`;

beforeAll(async () => {
  durable = await createPgliteDurableTier();
  hot = await createMemoryHotTier();
  await durable.createTenant({ id: tenantId, name: 'outbox', plan: 'early' });
});
afterAll(async () => {
  await durable?.close();
  await hot?.close();
});

/** An AUTO head acknowledged from the hot tier alone, recorded in the outbox (what a hot-only save leaves). */
async function hotOnlyHead(agentName: string): Promise<RunKey> {
  const key = { tenantId, runId: `r-${randomUUID()}` };
  const canonical = canonicalJson({ agentName, status: 'running', step: 1, data: {} });
  const record: StoredVersion = {
    version: 1,
    hash: sha256Hex(canonical),
    checkpoint: 'AUTO',
    encoding: 'json',
    payload: canonical,
    sizeBytes: canonical.length,
    savedAt: Date.now() - 60_000,
  };
  await hot.save(key, record, { ttlSeconds: 600, knownHead: 0, pendingDurable: true });
  return key;
}

describe('drain-outbox', () => {
  it('acknowledges a head the durable tier refuses as data and goes on with the others', async () => {
    // Written before the API refused it at the boundary: a NUL in the agent name, which Postgres cannot store.
    const poisoned = await hotOnlyHead('a\u0000');
    const good = await hotOnlyHead('planner');
    const report = await drainOutbox({ hot, durable, log: silentLogger, now: Date.now });
    expect(report).toMatchObject({ committed: 1, rejected: 1, remaining: 0 });
    expect(await durable.loadLatest(good)).toMatchObject({ version: 1 });
    expect(await durable.loadLatest(poisoned)).toBeNull();
    expect(await hot.load(poisoned)).toMatchObject({ version: 1 }); // still served from the hot tier
  });
});
