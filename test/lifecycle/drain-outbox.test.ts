/** drain-outbox over the memory hot tier and PGlite: a head Postgres refuses as data is set aside, the rest drain. */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drainFallback } from '../../lib/lifecycle/drain-fallback.ts';
import { drainOutbox } from '../../lib/lifecycle/drain-outbox.ts';
import { canonicalJson, sha256Hex } from '../../lib/model/canonical.ts';
import { silentLogger } from '../../lib/observability/logger.ts';
import { createPgliteDurableTier } from '../../lib/tiers/durable/pglite.ts';
import type { DurableTier, TenantDirectory } from '../../lib/tiers/durable/port.ts';
import { createMemoryFallback } from '../../lib/tiers/fallback/memory.ts';
import { createMemoryHotTier } from '../../lib/tiers/hot/memory.ts';
import type { HotTier } from '../../lib/tiers/hot/port.ts';
import type { RunKey, StoredVersion } from '../../lib/tiers/types.ts';

let durable: DurableTier & TenantDirectory;
const runFields = {
  agentName: 'planner',
  parentRunId: null,
  threadId: null,
  userId: null,
  status: 'running' as const,
};
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
function version1(agentName: string, data: unknown = {}): StoredVersion {
  const canonical = canonicalJson({ agentName, status: 'running', step: 1, data });
  return {
    version: 1,
    hash: sha256Hex(canonical),
    checkpoint: 'AUTO',
    encoding: 'json',
    payload: canonical,
    sizeBytes: canonical.length,
    savedAt: Date.now() - 60_000,
  };
}

async function hotOnlyHead(agentName: string, data: unknown = {}): Promise<RunKey> {
  const key = { tenantId, runId: `r-${randomUUID()}` };
  await hot.save(key, version1(agentName, data), { ttlSeconds: 600, knownHead: 0, pendingDurable: true });
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

  it('leaves a hot head to the spool that has overtaken it: the spooled save gets the version, not the old head', async () => {
    // The writer's hot-only v1 (its answer was `hot`), then — having lost sight of it — a CRITICAL v1 spooled
    // while Postgres was away (answered `spooled`): that one is owed to Postgres.
    const key = await hotOnlyHead('planner', { attempt: 'first' });
    const fallback = createMemoryFallback();
    const spooled = version1('planner', { attempt: 'second' });
    await fallback.spool({ key, record: spooled, run: runFields, spooledAt: Date.now() });
    const report = await drainOutbox({ hot, durable, fallback, log: silentLogger, now: Date.now });
    expect(report).toMatchObject({ committed: 0, superseded: 1, remaining: 0 });
    expect(await durable.loadLatest(key)).toBeNull();
    expect(await drainFallback({ hot, durable, fallback, log: silentLogger })).toMatchObject({
      replayed: 1,
      conflicts: 0,
    });
    expect(await durable.loadLatest(key)).toMatchObject({ version: 1, hash: spooled.hash });
  });
});
