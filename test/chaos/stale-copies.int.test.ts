/**
 * The three ways GOLDEN_HIGH_CONCURRENCY_FLOW found a head served from a copy that missed newer acknowledged
 * versions, each replayed step by step on the faulty engines. In each, a writer that built on the stale head
 * got a version number acknowledged a second time with other content, and the drain could never replay the
 * first one. The read path now answers 503 rather than a head it cannot vouch for.
 * Every scenario runs on separate state-api instances (processes), each call on the next one in turn: what one
 * instance learnt from a failed tier, the next one does not know.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FaultyEngines, startFaultyEngines } from '../support/chaos/faulty-engines.ts';
import { CHAOS_INSTANCES, chaosLogDir } from '../support/chaos/flow.ts';
import { waitFor } from '../support/faults/process.ts';

let engines: FaultyEngines | undefined;
let apiKey = '';
let tenantId = '';
let run = 0;
let calls = 0;

beforeAll(async () => {
  const logDir = chaosLogDir('stale-copies');
  engines = await startFaultyEngines({ instances: CHAOS_INSTANCES, ...(logDir && { logDir }) });
  ({ apiKey, tenantId } = await engines.createTenant('mid'));
  // Every instance has served this tenant once: a scenario starts from instances that know its key, as a fleet
  // in service does. (One that never saw it checks it through the hot tier while Postgres is down, but not with
  // Redis down too: scenarios with both down would then depend on which instance served before.)
  for (const instance of engines.fleet!.live()) {
    const res = await fetch(`${instance.url}/v1/runs?limit=1`, {
      headers: { authorization: `Bearer ${apiKey}` },
    });
    expect(res.status).toBe(200);
  }
}, 60_000);
afterEach(async () => {
  await engines?.heal();
}, 30_000);
// Each scenario starts with both tiers in use, whatever the previous one left the breakers thinking.
beforeEach(async () => {
  await Promise.all([inUse('hot'), inUse('durable')]);
}, 30_000);
afterAll(async () => {
  await engines?.close();
}, 60_000);

interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

async function call(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  // Each call on the next instance: consecutive steps of a scenario never share an instance's memory.
  const serving = engines!.fleet!.live();
  const res = await fetch(`${serving[calls++ % serving.length]!.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json', ...headers },
    ...(body !== undefined && { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(10_000),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const state = (step: number, note: string) => ({
  agentName: 'stale-copies',
  status: 'running',
  step,
  data: { note },
});
const save = (runId: string, expectedVersion: number, note: string, checkpoint = 'CRITICAL') =>
  call('PUT', `/v1/runs/${runId}/state`, {
    checkpoint,
    expectedVersion,
    state: state(expectedVersion + 1, note),
  });
const head = (runId: string) => call('GET', `/v1/runs/${runId}/state`);

/** Until every instance's health check (through its breaker) finds the tier: a restored server is in use again. */
const inUse = (tier: 'hot' | 'durable') =>
  waitFor(
    `${tier} tier in use on every instance`,
    async () => (await engines!.fleet!.health()).every((h) => h.tiers?.[tier]?.status === 'up'),
    { timeoutMs: 10_000 },
  );
/** Until Redis answers with `version` as the run's copy (before a fault; after it, the retained stale one). */
const hotHolds = (runId: string, version: number) =>
  waitFor(`hot copy of ${runId} readable`, async () => {
    const copy = await engines!.raw.hot.load({ tenantId, runId }).catch(() => null);
    return copy?.version === version;
  });
/** Until every instance's breaker has seen the tier fail (open), so the next request fails over at once. */
const seenDown = (tier: 'hot' | 'durable') =>
  waitFor(`${tier} tier seen down on every instance`, async () =>
    (await engines!.fleet!.health()).every((h) => h.tiers?.[tier]?.breaker === 'open'),
  );

/**
 * Versions 1 and 2 everywhere; then Redis cut (keeping its copy of 2) and Postgres stopped, and versions 3 and
 * 4 saved: both spooled. Answers version 4's save.
 */
async function twoSpooledWhileBothDown(runId: string): Promise<Answer> {
  await save(runId, 0, 'one');
  await save(runId, 1, 'two');
  await hotHolds(runId, 2);
  engines!.faults.cutRedis();
  await engines!.faults.stopPostgresImmediate();
  await Promise.all([seenDown('hot'), seenDown('durable')]);
  expect((await save(runId, 2, 'three')).body).toMatchObject({ version: 3, durability: 'spooled' });
  const four = await save(runId, 3, 'four');
  expect(four.body).toMatchObject({ version: 4, durability: 'spooled' });
  return four;
}

/** A head that is older than `acked` must not be served: a 503 is the honest answer. */
function expectNotBehind(answer: Answer, acked: number) {
  if (answer.status === 200) expect(answer.body.version).toBeGreaterThanOrEqual(acked);
  else expect(answer.status).toBe(503);
}

describe('a head is never served from a copy that missed acknowledged versions', () => {
  it('Redis came back from a partition stale, then Postgres went down', async () => {
    const e = engines!;
    const runId = `stale-hot-${++run}`;
    expect((await save(runId, 0, 'one')).body.durability).toBe('durable');
    expect((await save(runId, 1, 'two')).body.durability).toBe('durable');
    await hotHolds(runId, 2);
    // Redis unreachable but keeping its data: Postgres takes versions 3 and 4.
    e.faults.cutRedis();
    await seenDown('hot');
    const three = await save(runId, 2, 'three');
    expect(three.body).toMatchObject({ version: 3, durability: 'durable' });
    expect((await save(runId, 3, 'four')).body).toMatchObject({ version: 4, durability: 'durable' });
    await e.faults.restoreRedis();
    await inUse('hot');
    await hotHolds(runId, 2);
    await e.faults.stopPostgresImmediate();
    await seenDown('durable');

    expectNotBehind(await head(runId), 4);
    // A writer that read version 2 from that copy is refused, not spooled as a second version 3.
    const stale = await save(runId, 2, 'three, again');
    expect(stale.status).toBe(409);
    expect(stale.body.currentVersion).toBe(4);

    await e.heal();
    await inUse('durable');
    expect((await call('GET', `/v1/runs/${runId}/state?version=3`)).body.hash).toBe(three.body.hash);
    expect((await head(runId)).body.version).toBe(4);
  }, 60_000);

  it('both were down and saves were spooled, then Redis came back stale', async () => {
    const e = engines!;
    const runId = `stale-hot-${++run}`;
    const four = await twoSpooledWhileBothDown(runId);
    await e.faults.restoreRedis();
    await inUse('hot');
    await hotHolds(runId, 2);

    // Postgres is down, so only the spool can say more than Redis; it does not know what Postgres holds.
    expectNotBehind(await head(runId), 4);
    await e.faults.startPostgres();
    await inUse('durable');
    expect((await head(runId)).body).toMatchObject({ version: 4, hash: four.body.hash });
  }, 60_000);

  it('both were down and saves were spooled, Redis kept its older copy, then both came back', async () => {
    const e = engines!;
    const runId = `stale-hot-spool-${++run}`;
    await twoSpooledWhileBothDown(runId);
    await e.faults.restoreRedis();
    await e.faults.startPostgres();
    await Promise.all([inUse('hot'), inUse('durable')]);
    await hotHolds(runId, 2);

    // The writer builds on its acknowledged version 4. Redis only knows 2, Postgres 2, the spool 3 and 4: the
    // spool's versions are committed first and the save lands on them, rather than a 409 naming version 2.
    const five = await save(runId, 4, 'five');
    expect(five.status).toBe(200);
    expect(five.body).toMatchObject({ version: 5, durability: 'durable' });
    expect((await head(runId)).body).toMatchObject({ version: 5, hash: five.body.hash });
    // A writer that really is behind still gets the honest 409.
    const behind = await save(runId, 3, 'four, again');
    expect(behind.status).toBe(409);
    expect(behind.body.currentVersion).toBe(5);
  }, 60_000);

  it('a long spool is replayed a bounded slice per save: the writer is asked to retry, never refused', async () => {
    const e = engines!;
    const runId = `stale-long-spool-${++run}`;
    await save(runId, 0, 'one');
    await hotHolds(runId, 1);
    e.faults.cutRedis();
    await e.faults.stopPostgresImmediate();
    await Promise.all([seenDown('hot'), seenDown('durable')]);
    // 40 versions spooled while both were away: more than one save replays (16).
    for (let v = 1; v <= 40; v++) expect((await save(runId, v, `step ${v}`)).body.durability).toBe('spooled');
    await e.faults.restoreRedis();
    await e.faults.startPostgres();
    await Promise.all([inUse('hot'), inUse('durable')]);

    const answers: Answer[] = [];
    for (let attempt = 0; attempt < 5; attempt++) {
      const answer = await save(runId, 41, 'after the outage');
      answers.push(answer);
      if (answer.status !== 503) break;
      expect(answer.body).toMatchObject({ error: 'spool_backlog', retryable: true });
    }
    // Two slices of 16 leave 8 versions: the third attempt replays them and lands.
    expect(answers.map((a) => a.status)).toEqual([503, 503, 200]);
    expect(answers.at(-1)!.body).toMatchObject({ version: 42, durability: 'durable' });
    expect((await call('GET', `/v1/runs/${runId}/state?version=20`)).body.servedBy).toBe('durable');
  }, 60_000);

  it('Postgres got ahead of the spool, then both went down', async () => {
    const e = engines!;
    const runId = `stale-spool-${++run}`;
    await save(runId, 0, 'one');
    await save(runId, 1, 'two');
    await e.faults.stopPostgresImmediate();
    await seenDown('durable');
    const third = await save(runId, 2, 'three');
    expect(third.body, JSON.stringify(third.body)).toMatchObject({ version: 3, durability: 'spooled' });
    await e.faults.startPostgres();
    await inUse('durable');
    // Redis away, Postgres back: version 4 is committed there (after replaying 3), the spool still says 3.
    e.faults.cutRedis();
    await seenDown('hot');
    expect((await save(runId, 3, 'four')).body).toMatchObject({ version: 4, durability: 'durable' });
    await e.faults.stopPostgresImmediate();
    await seenDown('durable');

    expectNotBehind(await head(runId), 4);
    // Version 4 went to Postgres without Redis, so the fallback store holds a copy of it (the hot debt): the spool
    // vouches for the writer's base, and version 5 is spooled on top of it (the drain commits it after 4).
    const fifth = await save(runId, 4, 'five');
    expect(fifth.body, JSON.stringify(fifth.body)).toMatchObject({ version: 5, durability: 'spooled' });
    // A writer on version 3 is refused: the spool knows 4.
    expect((await save(runId, 3, 'stale')).status).toBe(409);
  }, 60_000);
});

/**
 * An agent whose answer was lost retries with the same Idempotency-Key. Its first attempt went through Postgres
 * while Redis was away, so only Postgres holds the receipt; when Postgres is down at the retry, the retry cannot
 * be told from a conflict. It must be asked to retry (503), never refused with a 409 for its own save, and
 * once Postgres is back it gets the first answer.
 */
describe('a retry of a save only Postgres has a receipt for', () => {
  const retried = (runId: string, key: string) =>
    call(
      'PUT',
      `/v1/runs/${runId}/state`,
      { checkpoint: 'CRITICAL', expectedVersion: 2, state: state(3, 'three') },
      { 'idempotency-key': key },
    );

  /** Versions 1 and 2 everywhere; then version 3 (with `key`) through Postgres alone while Redis is cut. */
  async function firstAttemptThroughPostgres(runId: string, key: string): Promise<Answer> {
    await save(runId, 0, 'one');
    await save(runId, 1, 'two');
    await hotHolds(runId, 2);
    engines!.faults.cutRedis();
    await seenDown('hot');
    const first = await retried(runId, key);
    expect(first.body).toMatchObject({ version: 3, durability: 'durable' });
    await engines!.faults.restoreRedis();
    await inUse('hot');
    return first;
  }

  /** Postgres goes down: the retry is asked to try again; Postgres comes back: the retry gets the first answer. */
  async function retryAcrossPostgresOutage(runId: string, key: string, first: Answer) {
    await engines!.faults.stopPostgresImmediate();
    await seenDown('durable');
    const retry = await retried(runId, key);
    expect(retry.status).toBe(503);
    expect(retry.body).toMatchObject({ error: 'unavailable', tier: 'durable', retryable: true });

    await engines!.faults.startPostgres();
    await inUse('durable');
    const again = await retried(runId, key);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect((await head(runId)).body).toMatchObject({ version: 3, hash: first.body.hash });
  }

  it('Redis still holds the copy from before: the retry lands on it, Postgres is down', async () => {
    const runId = `retry-stale-${++run}`;
    const key = `k-${runId}`;
    const first = await firstAttemptThroughPostgres(runId, key);
    await hotHolds(runId, 2);
    await retryAcrossPostgresOutage(runId, key, first);
  }, 60_000);

  it('Redis was brought up to date by a load: the retry conflicts there, Postgres is down', async () => {
    const runId = `retry-promoted-${++run}`;
    const key = `k-${runId}`;
    const first = await firstAttemptThroughPostgres(runId, key);
    // A load skips the stale hot copy, is served by Postgres and promotes version 3 back to Redis, without the
    // idempotency receipt (that lives where the save landed).
    expect((await head(runId)).body).toMatchObject({ version: 3, servedBy: 'durable' });
    await hotHolds(runId, 3);
    await retryAcrossPostgresOutage(runId, key, first);
  }, 60_000);
});
