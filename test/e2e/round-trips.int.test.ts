/**
 * The cost of a save in round trips, counted on the wire: every request the production clients send in Node
 * goes through undici (the keep-alive transport, lib/http/keep-alive-fetch.ts, or a global fetch), which
 * announces each one on the `undici:request:create` diagnostics channel. An AUTO save is ONE Redis request; a
 * CRITICAL save adds ONE Postgres request.
 */
import { randomUUID } from 'node:crypto';
import diagnostics from 'node:diagnostics_channel';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../lib/observability/logger.ts';
import { type Caller, createPersistenceService, type PersistenceService } from '../../lib/service/index.ts';
import { type RealEngines, startRealEngines } from '../support/real-engines.ts';

let engines: RealEngines;
let service: PersistenceService;
let caller: Caller;

beforeAll(async () => {
  engines = await startRealEngines();
  service = createPersistenceService({
    hot: engines.hot,
    durable: engines.durable,
    log: silentLogger,
    now: Date.now,
    settings: {
      limits: { maxStateBytes: 1 << 20, maxDepth: 64 },
      compressAboveBytes: 8192,
      ephemeralPaths: [],
      idempotencyTtlSeconds: 60,
    },
  });
  caller = {
    tenant: await engines.durable.createTenant({ id: `t-${randomUUID()}`, name: 'rt', plan: 'mid' }),
  };
});
afterAll(async () => engines?.close());

/** Counts the requests sent to the hot tier (Upstash REST) and to the durable tier (Neon /sql) during `work`. */
async function countRequests(work: () => Promise<unknown>) {
  const seen: string[] = [];
  const record = (message: unknown) => {
    const { request } = message as { request: { origin: string; path: string } };
    seen.push(`${request.origin}${request.path}`);
  };
  diagnostics.subscribe('undici:request:create', record);
  try {
    await work();
  } finally {
    diagnostics.unsubscribe('undici:request:create', record);
  }
  const hot = new URL(engines.env.UPSTASH_REDIS_REST_URL!).origin;
  return {
    hot: seen.filter((url) => url.startsWith(hot)).length,
    durable: seen.filter((url) => url.includes('/sql')).length,
    total: seen.length,
  };
}

const state = (step: number) => ({ agentName: 'rt', status: 'running' as const, step, data: { step } });

describe('round trips per operation', () => {
  it('an AUTO save is one Redis request and nothing else', async () => {
    const runId = `rt-${randomUUID()}`;
    await service.save(caller, {
      runId,
      request: { checkpoint: 'AUTO', state: state(1), expectedVersion: 0 },
    });
    const counts = await countRequests(() =>
      service.save(caller, { runId, request: { checkpoint: 'AUTO', state: state(2), expectedVersion: 1 } }),
    );
    expect(counts).toEqual({ hot: 1, durable: 0, total: 1 });
  });

  it('an AUTO save with an Idempotency-Key is still one Redis request', async () => {
    const runId = `rt-${randomUUID()}`;
    await service.save(caller, {
      runId,
      request: { checkpoint: 'AUTO', state: state(1), expectedVersion: 0 },
    });
    const counts = await countRequests(() =>
      service.save(caller, {
        runId,
        idempotencyKey: 'k',
        request: { checkpoint: 'AUTO', state: state(2), expectedVersion: 1 },
      }),
    );
    expect(counts).toEqual({ hot: 1, durable: 0, total: 1 });
  });

  it('a CRITICAL save adds exactly one Postgres request', async () => {
    const runId = `rt-${randomUUID()}`;
    await service.save(caller, {
      runId,
      request: { checkpoint: 'CRITICAL', state: state(1), expectedVersion: 0 },
    });
    const counts = await countRequests(() =>
      service.save(caller, {
        runId,
        request: { checkpoint: 'CRITICAL', state: state(2), expectedVersion: 1 },
      }),
    );
    expect(counts).toEqual({ hot: 1, durable: 1, total: 2 });
  });

  it('the first CRITICAL save of a run adds one read of the run index, and nothing else', async () => {
    // Redis cannot tell a new run from one whose hot copy is gone: Postgres' run index says, read before the
    // compare-and-set and handed to it (save.ts, hotStep; test/unit/first-save.test.ts).
    const runId = `rt-${randomUUID()}`;
    const counts = await countRequests(() =>
      service.save(caller, {
        runId,
        request: { checkpoint: 'CRITICAL', state: state(1), expectedVersion: 0 },
      }),
    );
    expect(counts).toEqual({ hot: 1, durable: 2, total: 3 });
  });

  it('a load from the hot tier is one Redis request', async () => {
    const runId = `rt-${randomUUID()}`;
    await service.save(caller, {
      runId,
      request: { checkpoint: 'AUTO', state: state(1), expectedVersion: 0 },
    });
    const counts = await countRequests(() => service.load(caller, { runId }));
    expect(counts).toEqual({ hot: 1, durable: 0, total: 1 });
  });
});
