/**
 * End to end through functions-framework's test server, on the real engines: @upstash/redis → bridge → Redis,
 * Neon driver → proxy → Postgres. Each test uses its own runs; the fixture gives each file its own database.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contentHash } from '../../lib/model/canonical.ts';
import { type StrataFixture, startStrata } from '../support/strata.ts';

let strata: StrataFixture;
let key: string;

beforeAll(async () => {
  strata = await startStrata();
  key = (await strata.createTenant('mid')).apiKey;
});
afterAll(async () => strata?.close());

const runId = () => `run-${randomUUID()}`;
const state = (step: number, data: unknown = { step }) => ({
  agentName: 'planner',
  status: 'running',
  step,
  data,
});

describe('state-api on real engines', () => {
  it('saves and loads a state, answering the canonical hash', async () => {
    const id = runId();
    const s = state(1, { notes: ['héllo', '🚀'], nested: { b: 2, a: 1 } });
    const saved = await strata.put(key, id, { state: s, expectedVersion: 0 });
    expect(saved.status).toBe(200);
    expect(saved.body).toEqual({ runId: id, version: 1, hash: contentHash(s), durability: 'hot' });
    expect(saved.headers.etag).toBe('"1"');

    const loaded = await strata.get(key, `/v1/runs/${id}/state`);
    expect(loaded.status).toBe(200);
    expect(loaded.body).toMatchObject({
      runId: id,
      version: 1,
      hash: contentHash(s),
      servedBy: 'hot',
      state: s,
    });
  });

  it('commits a CRITICAL save to Postgres before answering', async () => {
    const id = runId();
    const saved = await strata.put(key, id, { state: state(1), checkpoint: 'CRITICAL', expectedVersion: 0 });
    expect(saved.body.durability).toBe('durable');
    const stored = await strata.durable.loadVersion({ tenantId: strata.tenantOf(key), runId: id }, 1);
    expect(stored?.hash).toBe(saved.body.hash);
  });

  it('lets exactly one of 50 concurrent writers of the same version win, and loses no update', async () => {
    const id = runId();
    await strata.put(key, id, { state: state(0), expectedVersion: 0 });
    const attempts = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        strata.put(key, id, { state: state(1, { writer: i }), expectedVersion: 1 }),
      ),
    );
    const winners = attempts.filter((r) => r.status === 200);
    const conflicts = attempts.filter((r) => r.status === 409);
    expect(winners).toHaveLength(1);
    expect(conflicts).toHaveLength(49);
    for (const c of conflicts) expect(c.body).toMatchObject({ error: 'version_conflict', currentVersion: 2 });
    const loaded = await strata.get(key, `/v1/runs/${id}/state`);
    expect(loaded.body.hash).toBe(winners[0]!.body.hash);

    // 50 writers that each retry on conflict until their update lands: all 50 updates are kept.
    const writers = Array.from({ length: 50 }, async (_, i) => {
      for (let attempt = 0; attempt < 200; attempt++) {
        const head = await strata.get(key, `/v1/runs/${id}/state`);
        const next = { ...head.body.state, data: { ...head.body.state.data, [`w${i}`]: true } };
        const put = await strata.put(key, id, { state: next, expectedVersion: head.body.version });
        if (put.status === 200) return;
        expect(put.status).toBe(409);
        // Jittered backoff, as a well-behaved agent would do, so the 50 do not retry in lockstep.
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 20));
      }
      throw new Error(`writer ${i} never landed`);
    });
    await Promise.all(writers);
    const final = await strata.get(key, `/v1/runs/${id}/state`);
    expect(final.body.version).toBe(52);
    for (let i = 0; i < 50; i++) expect(final.body.state.data[`w${i}`]).toBe(true);
  }, 90_000);

  it('answers a retry with the same Idempotency-Key with the first answer, and refuses the key with another body', async () => {
    const id = runId();
    const body = { state: state(1), checkpoint: 'CRITICAL', expectedVersion: 0 };
    const first = await strata.put(key, id, body, { 'idempotency-key': 'k-1' });
    const retry = await strata.put(key, id, body, { 'idempotency-key': 'k-1' });
    expect(first.status).toBe(200);
    expect(retry.status).toBe(200);
    expect(retry.body).toEqual(first.body);
    const other = await strata.put(key, id, { ...body, state: state(9) }, { 'idempotency-key': 'k-1' });
    expect(other.status).toBe(422);
    expect(other.body.error).toBe('idempotency_key_reused');
    const history = await strata.get(key, `/v1/runs/${id}/checkpoints`);
    expect(history.body.checkpoints.map((c: { version: number }) => c.version)).toEqual([1]);
  });

  it('keeps tenants apart: a foreign run answers 404 exactly like a missing one', async () => {
    const other = (await strata.createTenant('mid')).apiKey;
    const id = runId();
    await strata.put(key, id, { state: state(1), expectedVersion: 0 });
    const foreign = await strata.get(other, `/v1/runs/${id}/state`);
    const missing = await strata.get(other, `/v1/runs/${runId()}/state`);
    expect(foreign.status).toBe(404);
    expect(missing.status).toBe(404);
    expect(Object.keys(foreign.body)).toEqual(Object.keys(missing.body));
    expect(foreign.body.error).toBe('not_found');
    // Writing "over" it from the other tenant creates the other tenant's own run; ours is untouched.
    const overwrite = await strata.put(other, id, { state: state(7), expectedVersion: 0 });
    expect(overwrite.status).toBe(200);
    expect((await strata.get(key, `/v1/runs/${id}/state`)).body.state.step).toBe(1);
    expect((await strata.req('DELETE', other, `/v1/runs/${id}`)).status).toBe(204);
    expect((await strata.get(key, `/v1/runs/${id}/state`)).status).toBe(200);
  });

  it('applies an RFC 6902 patch against a base version', async () => {
    const id = runId();
    await strata.put(key, id, { state: state(1, { todo: ['a'] }), expectedVersion: 0 });
    const patched = await strata.put(key, id, {
      baseVersion: 1,
      patch: [
        { op: 'replace', path: '/step', value: 2 },
        { op: 'add', path: '/data/todo/-', value: 'b' },
        { op: 'test', path: '/agentName', value: 'planner' },
      ],
    });
    expect(patched.status).toBe(200);
    expect(patched.body.version).toBe(2);
    const loaded = await strata.get(key, `/v1/runs/${id}/state`);
    expect(loaded.body.state).toEqual(state(2, { todo: ['a', 'b'] }));

    const failedTest = await strata.put(key, id, {
      baseVersion: 2,
      patch: [{ op: 'test', path: '/step', value: 99 }],
    });
    expect(failedTest.status).toBe(409);
    expect(failedTest.body.error).toBe('patch_test_failed');
    const badResult = await strata.put(key, id, {
      baseVersion: 2,
      patch: [{ op: 'remove', path: '/agentName' }],
    });
    expect(badResult.status).toBe(400);
    expect((await strata.get(key, `/v1/runs/${id}/state`)).body.version).toBe(2);
  });

  it("answers a run's newest states, or a range, in one call, each state verifiable against its hash", async () => {
    const id = runId();
    for (let v = 0; v < 5; v++)
      await strata.put(key, id, { state: state(v + 1), checkpoint: 'CRITICAL', expectedVersion: v });
    // An AUTO save on the mid plan stays hot-only: the newest state is the hot head.
    expect((await strata.put(key, id, { state: state(6), expectedVersion: 5 })).body.durability).toBe('hot');
    const newest = await strata.get(key, `/v1/runs/${id}/states?limit=3`);
    expect(newest.status).toBe(200);
    expect(newest.body.states.map((s: { version: number }) => s.version)).toEqual([6, 5, 4]);
    expect(newest.body.states.map((s: { durable: boolean }) => s.durable)).toEqual([false, true, true]);
    expect(newest.body.nextBefore).toBe(4);
    for (const entry of newest.body.states as Array<{ version: number; hash: string; state: unknown }>) {
      expect(entry.state).toEqual(state(entry.version));
      // What a client does to check a version: sha256 of the RFC 8785 canonical JSON of the state.
      expect(contentHash(entry.state)).toBe(entry.hash);
    }
    const older = await strata.get(key, `/v1/runs/${id}/states?limit=3&before=4`);
    expect(older.body.states.map((s: { version: number }) => s.version)).toEqual([3, 2, 1]);
    expect(older.body.nextBefore).toBeNull();
    const range = await strata.get(key, `/v1/runs/${id}/states?from=2&to=3`);
    expect(range.body.states.map((s: { version: number }) => s.version)).toEqual([3, 2]);
    expect((await strata.get(key, `/v1/runs/missing-${randomUUID()}/states`)).status).toBe(404);
    expect((await strata.get(key, `/v1/runs/${id}/states?from=3&to=2`)).status).toBe(400);
  });

  it('restores an earlier version as a new head and keeps the history', async () => {
    const id = runId();
    for (let v = 0; v < 3; v++)
      await strata.put(key, id, { state: state(v + 1), checkpoint: 'CRITICAL', expectedVersion: v });
    const restored = await strata.post(key, `/v1/runs/${id}/restore`, { version: 1, expectedVersion: 3 });
    expect(restored.status).toBe(200);
    expect(restored.body).toMatchObject({ version: 4, hash: contentHash(state(1)), restoredFrom: 1 });
    const head = await strata.get(key, `/v1/runs/${id}/state`);
    expect(head.body).toMatchObject({ version: 4, state: state(1) });
    const history = await strata.get(key, `/v1/runs/${id}/checkpoints?limit=2`);
    expect(history.body.checkpoints.map((c: { version: number }) => c.version)).toEqual([4, 3]);
    const older = await strata.get(
      key,
      `/v1/runs/${id}/checkpoints?limit=2&before=${history.body.nextBefore}`,
    );
    expect(older.body.checkpoints.map((c: { version: number }) => c.version)).toEqual([2, 1]);
    expect((await strata.get(key, `/v1/runs/${id}/state?version=2`)).body.state).toEqual(state(2));
  });

  it('serves a load from the durable tier when the hot copy is gone, and promotes it back', async () => {
    const id = runId();
    const saved = await strata.put(key, id, { state: state(1), checkpoint: 'CRITICAL', expectedVersion: 0 });
    await strata.hot.delete({ tenantId: strata.tenantOf(key), runId: id });
    const loaded = await strata.get(key, `/v1/runs/${id}/state`);
    expect(loaded.body).toMatchObject({ version: 1, hash: saved.body.hash, servedBy: 'durable' });
    await expect.poll(async () => (await strata.get(key, `/v1/runs/${id}/state`)).body.servedBy).toBe('hot');
  });

  it('fails over to the durable tier when the hot tier is unreachable, for loads and for saves', async () => {
    const id = runId();
    const saved = await strata.put(key, id, { state: state(1), checkpoint: 'CRITICAL', expectedVersion: 0 });
    await strata.withHotTierDown(async () => {
      const loaded = await strata.get(key, `/v1/runs/${id}/state`);
      expect(loaded.status).toBe(200);
      expect(loaded.body).toMatchObject({ version: 1, hash: saved.body.hash, servedBy: 'durable' });
      const health = await strata.get(key, '/health/persistence');
      expect(health.body.tiers.hot.status).toBe('down');
      // Even an AUTO save is taken by Postgres (the version authority while Redis is away), and says so.
      const write = await strata.put(
        key,
        id,
        { state: state(2), expectedVersion: 1 },
        { 'idempotency-key': 'while-down' },
      );
      expect(write.status).toBe(200);
      expect(write.body).toMatchObject({ version: 2, durability: 'durable' });
      const stale = await strata.put(key, id, { state: state(9), expectedVersion: 1 });
      expect(stale.status).toBe(409);
      expect(stale.body.currentVersion).toBe(2);
    });
    // A load brings version 2 back into Redis, without its receipt: a retry of that save still gets its first answer.
    expect((await strata.get(key, `/v1/runs/${id}/state`)).body.version).toBe(2);
    const retry = await strata.put(
      key,
      id,
      { state: state(2), expectedVersion: 1 },
      { 'idempotency-key': 'while-down' },
    );
    expect(retry.status).toBe(200);
    expect(retry.body).toMatchObject({ version: 2, durability: 'durable' });
    // The hot copy may have come back stale; a writer who saw version 2 is still arbitrated correctly.
    const next = await strata.put(key, id, { state: state(3), expectedVersion: 2 });
    expect(next.status).toBe(200);
    expect(next.body.version).toBe(3);
    expect((await strata.get(key, `/v1/runs/${id}/state`)).body).toMatchObject({
      version: 3,
      state: state(3),
    });
  });

  it('completes a run, making its final state durable, and lists runs by status, agent and parent', async () => {
    const parent = runId();
    await strata.put(key, parent, { state: { ...state(1), agentName: 'root-x' }, expectedVersion: 0 });
    const children = [runId(), runId(), runId()];
    for (const child of children) {
      await strata.put(key, child, {
        state: { ...state(1), agentName: 'worker-x', parentRunId: parent },
        expectedVersion: 0,
      });
    }
    const done = await strata.post(key, `/v1/runs/${children[0]}/complete`, {
      status: 'completed',
      metadata: { model: 'gpt-x', inputTokens: 10, outputTokens: 5, costUsd: 0.25 },
    });
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ runId: children[0], status: 'completed', durableVersion: 1 });

    const byParent = await strata.get(key, `/v1/runs?parentRunId=${parent}`);
    expect(byParent.body.runs.map((r: { runId: string }) => r.runId).sort()).toEqual([...children].sort());
    const completed = await strata.get(key, `/v1/runs?parentRunId=${parent}&status=completed`);
    expect(completed.body.runs.map((r: { runId: string }) => r.runId)).toEqual([children[0]]);
    const paged = await strata.get(key, `/v1/runs?agent=worker-x&parentRunId=${parent}&limit=2`);
    expect(paged.body.runs).toHaveLength(2);
    const rest = await strata.get(
      key,
      `/v1/runs?agent=worker-x&parentRunId=${parent}&limit=2&cursor=${encodeURIComponent(paged.body.nextCursor)}`,
    );
    expect(rest.body.runs).toHaveLength(1);
  });

  it('deletes a run from both tiers', async () => {
    const id = runId();
    await strata.put(key, id, { state: state(1), checkpoint: 'CRITICAL', expectedVersion: 0 });
    expect((await strata.req('DELETE', key, `/v1/runs/${id}`)).status).toBe(204);
    expect((await strata.get(key, `/v1/runs/${id}/state`)).status).toBe(404);
    const runKey = { tenantId: strata.tenantOf(key), runId: id };
    expect(await strata.hot.load(runKey)).toBeNull();
    expect(await strata.durable.getRun(runKey)).toBeNull();
    expect((await strata.req('DELETE', key, `/v1/runs/${id}`)).status).toBe(404);
  });

  it('reports each tier in the health endpoint', async () => {
    const health = await strata.get(key, '/health/persistence');
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({
      acceptingWrites: true,
      tiers: { hot: { status: 'up' }, durable: { status: 'up' } },
    });
  });
});
