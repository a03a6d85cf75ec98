/**
 * A load that fails over to Postgres, on an instance that holds a state of the run (it saved or loaded it): Postgres
 * is asked only whether that state's version and hash are still the head (read-path.ts, durableHead), and the
 * state is served from the instance, not rebuilt from a chain sent over. A head another instance moved on is
 * read and rebuilt as before, so the cache never answers for a version Postgres does not hold as its head.
 */
import { describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../lib/observability/logger.ts';
import { type Caller, createPersistenceService } from '../../lib/service/index.ts';
import type { DurableTier } from '../../lib/tiers/durable/port.ts';
import type { HotTier } from '../../lib/tiers/hot/port.ts';
import type { RunKey } from '../../lib/tiers/types.ts';
import { type EmbeddedDurable, withEmbeddedTiers } from '../support/embedded-tiers.ts';
import { TEST_SETTINGS } from '../support/service-settings.ts';

let durable: EmbeddedDurable;
let hot: HotTier;
const caller: Caller = { tenant: { id: 't-known-head', name: 'known', plan: 'enterprise', createdAt: 0 } };

withEmbeddedTiers((tiers) => {
  ({ durable, hot } = tiers);
});

let runs = 0;
const newKey = (): RunKey => ({ tenantId: caller.tenant.id, runId: `known-${Date.now()}-${runs++}` });
const first = { agentName: 'a', status: 'running' as const, step: 1, data: { messages: ['hello'] } };

/** A service instance over the shared embedded tiers, recording which durable reads of the head it makes. */
function instance() {
  const reads: string[] = [];
  const observedDurable: DurableTier = Object.create(durable);
  observedDurable.loadLatest = async (...args) => {
    reads.push('loadLatest');
    return durable.loadLatest(...args);
  };
  observedDurable.loadLatestUnless = async (...args) => {
    const read = await durable.loadLatestUnless(...args);
    reads.push(read && 'stands' in read ? 'loadLatestUnless: stands' : 'loadLatestUnless: read');
    return read;
  };
  const service = createPersistenceService({
    hot,
    durable: observedDurable,
    settings: TEST_SETTINGS,
    log: silentLogger,
    now: Date.now,
  });
  return { service, reads };
}

const append = (baseVersion: number, message: string) => ({
  checkpoint: 'CRITICAL' as const,
  baseVersion,
  patch: [
    { op: 'add' as const, path: '/data/messages/-', value: message },
    { op: 'replace' as const, path: '/step', value: baseVersion + 1 },
  ],
});

describe('a load failing over to Postgres, on an instance that holds the run', () => {
  it('serves the state it holds once Postgres confirms its version and hash, and promotes it', async () => {
    const key = newKey();
    const { service, reads } = instance();
    await service.save(caller, {
      runId: key.runId,
      request: { state: first, expectedVersion: 0, checkpoint: 'CRITICAL' },
    });
    const saved = await service.save(caller, { runId: key.runId, request: append(1, 'second') });
    await hot.delete(key); // the hot copy is gone (a Redis that lost its data)

    const loaded = await service.load(caller, { runId: key.runId });
    expect(loaded).toMatchObject({
      version: 2,
      hash: saved.hash,
      servedBy: 'durable',
      checkpoint: 'CRITICAL',
    });
    expect(JSON.parse(loaded.stateJson)).toEqual({
      ...first,
      step: 2,
      data: { messages: ['hello', 'second'] },
    });
    // Byte for byte what Postgres rebuilds for that version.
    expect(loaded.stateJson).toBe((await durable.loadLatest(key))?.payload);
    expect(reads).toEqual(['loadLatestUnless: stands']);
    await vi.waitFor(async () => expect((await hot.load(key))?.hash).toBe(saved.hash));
  });

  it('reads and rebuilds the head when another instance moved the run on', async () => {
    const key = newKey();
    const a = instance();
    const b = instance();
    await a.service.save(caller, {
      runId: key.runId,
      request: { state: first, expectedVersion: 0, checkpoint: 'CRITICAL' },
    });
    await b.service.load(caller, { runId: key.runId });
    const third = await b.service.save(caller, { runId: key.runId, request: append(1, 'from b') });
    await hot.delete(key);

    const loaded = await a.service.load(caller, { runId: key.runId });
    expect(loaded).toMatchObject({ version: 2, hash: third.hash, servedBy: 'durable' });
    expect(JSON.parse(loaded.stateJson).data).toEqual({ messages: ['hello', 'from b'] });
    expect(a.reads).toEqual(['loadLatestUnless: read']);
  });

  it('reads the chain as before for a run the instance holds nothing of', async () => {
    const key = newKey();
    await instance().service.save(caller, {
      runId: key.runId,
      request: { state: first, expectedVersion: 0, checkpoint: 'CRITICAL' },
    });
    await hot.delete(key);
    const fresh = instance();
    expect(await fresh.service.load(caller, { runId: key.runId })).toMatchObject({
      version: 1,
      servedBy: 'durable',
    });
    expect(fresh.reads).toEqual(['loadLatest']);
  });
});
