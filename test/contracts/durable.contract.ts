/**
 * What every durable adapter must do: a backend supplies `create` (and `destroy`), the suite runs every spec.
 * Ids are random per test, so files using it can run in parallel against one server.
 */
import { createHash, randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidRequest, NotFound, TierRejected, TierUnavailable } from '../../lib/errors.ts';
import type { CommitOptions, DurableTier, RunFields, TenantDirectory } from '../../lib/tiers/durable/port.ts';
import type { IdempotencyWrite, RunKey, StoredVersion } from '../../lib/tiers/types.ts';
import { durableChainSpecs } from './durable-chains.contract.ts';

export type DurableUnderTest = DurableTier & TenantDirectory;

export interface DurableFixture {
  readonly name: string;
  create(): Promise<DurableUnderTest>;
  destroy?(tier: DurableUnderTest): Promise<void>;
}

export const id = (prefix: string) => `${prefix}_${randomUUID().slice(0, 12)}`;
export const newKey = (): RunKey => ({ tenantId: id('t'), runId: id('run') });
export const fields = (over: Partial<RunFields> = {}): RunFields => ({
  agentName: 'planner',
  parentRunId: null,
  threadId: 'thread-1',
  userId: 'user-1',
  status: 'running',
  ...over,
});

/** A checkpoint whose hash is the sha256 of its payload, as the service computes it. */
export function version(
  v: number,
  state: unknown = { step: v },
  over: Partial<StoredVersion> = {},
): StoredVersion {
  const payload = JSON.stringify(state);
  return {
    version: v,
    hash: createHash('sha256').update(payload).digest('hex'),
    checkpoint: 'AUTO',
    encoding: 'json',
    payload,
    sizeBytes: Buffer.byteLength(payload),
    savedAt: 1_790_000_000_000 + v,
    ...over,
  };
}

export const receiptFor = (
  key: RunKey,
  rec: StoredVersion,
  idemKey: string,
  fingerprint = 'fp-1',
): IdempotencyWrite => ({
  key: idemKey,
  fingerprint,
  receipt: { runId: key.runId, version: rec.version, hash: rec.hash, durability: 'durable' },
  ttlSeconds: 3600,
});

export function durableContract(fx: DurableFixture): void {
  describe(`${fx.name} · DurableTier & TenantDirectory`, () => {
    let tier: DurableUnderTest;
    beforeAll(async () => {
      tier = await fx.create();
    });
    afterAll(async () => {
      if (fx.destroy) await fx.destroy(tier);
      else await tier.close();
    });
    const commit = (key: RunKey, rec: StoredVersion, opts: Partial<CommitOptions> = {}) =>
      tier.commit(key, rec, { run: fields(), ...opts });
    /** Everything a failed commit must leave untouched. */
    const snapshot = async (key: RunKey) => ({
      run: await tier.getRun(key),
      checkpoints: await tier.listCheckpoints(key, { limit: 1000 }),
    });

    it('answers ping', async () => {
      await expect(tier.ping()).resolves.toBeUndefined();
    });

    describe('commit', () => {
      it('commits a new run and loads the version back', async () => {
        const key = newKey();
        const v1 = version(1);
        expect(
          await commit(key, v1, { requireHead: 0, run: fields({ parentRunId: 'p', status: 'paused' }) }),
        ).toEqual({
          status: 'committed',
        });
        expect(await tier.loadLatest(key)).toEqual(v1);
        expect(await tier.loadVersion(key, 1)).toEqual(v1);
        expect(await tier.loadVersion(key, 2)).toBeNull();
        const run = await tier.getRun(key);
        expect(run).toMatchObject({
          runId: key.runId,
          durableVersion: 1,
          parentRunId: 'p',
          status: 'paused',
        });
        expect(run?.completedAt).toBeNull();
      });

      it('round-trips payloads byte for byte (unicode, 64 KB, gzip-base64)', async () => {
        const key = newKey();
        const unit = 'é中文🌍\u200d👩‍💻 "quoted" \\ \t\u2028 ';
        const big = JSON.stringify({ text: unit.repeat(Math.ceil(65_536 / Buffer.byteLength(unit))) });
        expect(Buffer.byteLength(big)).toBeGreaterThanOrEqual(65_536);
        const plain = { ...version(1), payload: big, sizeBytes: Buffer.byteLength(big) };
        const packed = {
          ...version(2),
          encoding: 'gzip-base64' as const,
          payload: gzipSync(big).toString('base64'),
        };
        expect(await commit(key, plain)).toEqual({ status: 'committed' });
        expect(await commit(key, packed)).toEqual({ status: 'committed' });
        const [one, two] = [await tier.loadVersion(key, 1), await tier.loadVersion(key, 2)];
        expect(Buffer.from(one?.payload ?? '').equals(Buffer.from(big))).toBe(true);
        expect(two).toEqual(packed);
      });

      it('without requireHead moves the head to max(head, version); late older versions keep newer fields', async () => {
        const key = newKey();
        await commit(key, version(3), { run: fields({ status: 'running', agentName: 'new' }) });
        expect(
          await commit(key, version(2), { run: fields({ status: 'paused', agentName: 'old' }) }),
        ).toEqual({
          status: 'committed',
        });
        expect(await tier.getRun(key)).toMatchObject({
          durableVersion: 3,
          status: 'running',
          agentName: 'new',
        });
        expect((await tier.loadLatest(key))?.version).toBe(3);
        await commit(key, version(4), { run: fields({ status: 'paused' }) });
        expect(await tier.getRun(key)).toMatchObject({ durableVersion: 4, status: 'paused' });
      });

      it('committing an existing version with the same hash is idempotent', async () => {
        const key = newKey();
        await commit(key, version(1), { requireHead: 0 });
        const before = await snapshot(key);
        expect(await commit(key, version(1), { requireHead: 0 })).toEqual({ status: 'committed' });
        expect(await commit(key, version(1))).toEqual({ status: 'committed' });
        expect(await snapshot(key)).toEqual(before);
      });

      it('an existing version with another hash is a conflict and changes nothing', async () => {
        const key = newKey();
        await commit(key, version(1));
        await commit(key, version(2));
        const before = await snapshot(key);
        const other = version(1, { different: true });
        expect(await commit(key, other, { run: fields({ status: 'failed' }) })).toEqual({
          status: 'conflict',
          currentVersion: 2,
        });
        expect(await snapshot(key)).toEqual(before);
      });

      it('requireHead is a compare-and-set on the durable head', async () => {
        const key = newKey();
        expect(await commit(key, version(1), { requireHead: 5 })).toEqual({
          status: 'conflict',
          currentVersion: 0,
        });
        expect(await tier.getRun(key)).toBeNull();
        await commit(key, version(1), { requireHead: 0 });
        await commit(key, version(2), { requireHead: 1 });
        const before = await snapshot(key);
        expect(await commit(key, version(3), { requireHead: 1 })).toEqual({
          status: 'conflict',
          currentVersion: 2,
        });
        expect(await commit(key, version(3), { requireHead: 0 })).toEqual({
          status: 'conflict',
          currentVersion: 2,
        });
        expect(await snapshot(key)).toEqual(before);
        expect(await commit(key, version(3), { requireHead: 2 })).toEqual({ status: 'committed' });
      });

      it('50 concurrent commits of one version with requireHead: exactly one wins', async () => {
        const key = newKey();
        await commit(key, version(1), { requireHead: 0 });
        const contenders = Array.from({ length: 50 }, (_, i) => version(2, { writer: i }));
        const outcomes = await Promise.all(contenders.map((rec) => commit(key, rec, { requireHead: 1 })));
        const winners = outcomes.flatMap((o, i) => (o.status === 'committed' ? [contenders[i]] : []));
        expect(winners).toHaveLength(1);
        expect(outcomes.filter((o) => o.status === 'conflict')).toEqual(
          Array(49).fill({ status: 'conflict', currentVersion: 2 }),
        );
        expect((await tier.loadLatest(key))?.hash).toBe(winners[0]?.hash);
        expect(await tier.listCheckpoints(key, { limit: 10 })).toHaveLength(2);
      });
    });

    durableChainSpecs({ tier: () => tier, commit, newKey, snapshot });

    describe('data Postgres refuses', () => {
      /** The commit's error, which must be a refusal of the data, not a tier that is down. */
      const refusal = async (promise: Promise<unknown>) => {
        const error = await promise.then(
          () => null,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(TierRejected);
        expect(error).not.toBeInstanceOf(TierUnavailable);
        return error as TierRejected;
      };

      it.each(['agentName', 'parentRunId', 'threadId', 'userId'] as const)(
        'a NUL in %s is TierRejected (invalid_data), without the database text, and writes nothing',
        async (field) => {
          const key = newKey();
          const rejected = await refusal(
            commit(key, version(1), { run: fields({ [field]: 'a\u0000b' }), requireHead: 0 }),
          );
          expect(rejected).toMatchObject({ tier: 'durable', reason: 'invalid_data', sqlState: '22021' });
          // Postgres' own text names the bytes it refused; it stays in `cause`, out of the message.
          expect(rejected.message).toBe('durable tier refused the data: invalid_data (SQLSTATE 22021)');
          expect(rejected.cause).toBeDefined();
          expect(await snapshot(key)).toEqual({ run: null, checkpoints: [] });
          await refusal(tier.ensureRun(key, fields({ [field]: '\u0000' })));
          expect(await tier.getRun(key)).toBeNull();
        },
      );

      it('a refused version leaves the run, its earlier versions and its head as they were', async () => {
        const key = newKey();
        await commit(key, version(1), { requireHead: 0 });
        const before = await snapshot(key);
        await refusal(commit(key, version(2), { run: fields({ agentName: 'x\u0000' }), requireHead: 1 }));
        await refusal(commit(key, version(2), { run: fields({ agentName: 'x\u0000' }) }));
        expect(await snapshot(key)).toEqual(before);
        expect(await commit(key, version(2), { requireHead: 1 })).toEqual({ status: 'committed' });
      });

      it('a receipt jsonb refuses (\\u0000) and a status outside the enum are refusals too', async () => {
        const key = newKey();
        const v1 = version(1);
        const idem = receiptFor(key, v1, 'idem-nul');
        const badReceipt = { ...idem, receipt: { ...idem.receipt, hash: 'h\u0000' } };
        expect(await refusal(commit(key, v1, { idempotency: badReceipt }))).toMatchObject({
          reason: 'invalid_data',
          sqlState: '22P05',
        });
        const bogus = fields({ status: 'bogus' as RunFields['status'] });
        expect(await refusal(commit(key, v1, { run: bogus }))).toMatchObject({
          reason: 'constraint_violation',
          sqlState: '23514',
        });
        expect(await snapshot(key)).toEqual({ run: null, checkpoints: [] });
        expect(await tier.getReceipt(key, 'idem-nul')).toBeNull();
      });
    });

    describe('idempotency receipts', () => {
      it('stores the receipt with the commit; the same key and fingerprint replays and writes nothing', async () => {
        const key = newKey();
        const v1 = version(1);
        const idem = receiptFor(key, v1, 'idem-1');
        expect(await commit(key, v1, { idempotency: idem })).toEqual({ status: 'committed' });
        expect(await tier.getReceipt(key, 'idem-1')).toEqual({ fingerprint: 'fp-1', receipt: idem.receipt });
        const before = await snapshot(key);
        const retry = { ...idem, receipt: { ...idem.receipt, version: 2 } };
        expect(await commit(key, version(2), { idempotency: retry })).toEqual({
          status: 'replayed',
          receipt: idem.receipt,
        });
        expect(await snapshot(key)).toEqual(before);
      });

      it('the same key with another fingerprint is a mismatch and writes nothing', async () => {
        const key = newKey();
        await commit(key, version(1), { idempotency: receiptFor(key, version(1), 'idem-1') });
        const before = await snapshot(key);
        const reuse = receiptFor(key, version(2), 'idem-1', 'fp-other');
        expect(await commit(key, version(2), { idempotency: reuse })).toEqual({
          status: 'idempotency_mismatch',
        });
        expect(await commit(key, version(2), { idempotency: reuse, requireHead: 1 })).toEqual({
          status: 'idempotency_mismatch',
        });
        expect(await snapshot(key)).toEqual(before);
        expect((await tier.getReceipt(key, 'idem-1'))?.fingerprint).toBe('fp-1');
      });

      it('an expired receipt neither replays nor blocks, and is replaced', async () => {
        const key = newKey();
        // A negative TTL stands in for the passing of time: the receipt is expired from the start.
        await commit(key, version(1), {
          idempotency: { ...receiptFor(key, version(1), 'idem-1'), ttlSeconds: -60 },
        });
        expect(await tier.getReceipt(key, 'idem-1')).toBeNull();
        const fresh = receiptFor(key, version(2), 'idem-1', 'fp-2');
        expect(await commit(key, version(2), { idempotency: fresh })).toEqual({ status: 'committed' });
        expect(await tier.getReceipt(key, 'idem-1')).toEqual({ fingerprint: 'fp-2', receipt: fresh.receipt });
      });

      it('receipts belong to one run and one key', async () => {
        const key = newKey();
        await commit(key, version(1), { idempotency: receiptFor(key, version(1), 'idem-1') });
        expect(await tier.getReceipt(key, 'idem-2')).toBeNull();
        expect(await tier.getReceipt({ ...key, runId: id('run') }, 'idem-1')).toBeNull();
        expect(await tier.getReceipt({ ...key, tenantId: id('t') }, 'idem-1')).toBeNull();
      });
    });

    describe('run index', () => {
      it('ensureRun registers a new run once and then returns it unchanged', async () => {
        const key = newKey();
        const first = await tier.ensureRun(key, fields({ status: 'paused', userId: null }));
        expect(first).toMatchObject({ runId: key.runId, status: 'paused', userId: null, durableVersion: 0 });
        expect(first.createdAt).toBe(first.updatedAt);
        expect(Math.abs(first.createdAt - Date.now())).toBeLessThan(60_000);
        expect(await tier.ensureRun(key, fields({ status: 'running', agentName: 'other' }))).toEqual(first);
        expect(await commit(key, version(1), { requireHead: 0 })).toEqual({ status: 'committed' });
      });

      it('complete records the final status; an unknown run gives null', async () => {
        const key = newKey();
        await commit(key, version(1));
        const done = { model: 'gpt-x', inputTokens: 1200, outputTokens: 340, costUsd: 0.01234 };
        const completedAt = 1_790_000_123_456;
        const outcome = await tier.complete(key, { status: 'failed', completedAt, ...done });
        expect(outcome?.first).toBe(true);
        expect(outcome?.run).toMatchObject({ status: 'failed', completedAt, durableVersion: 1 });
        expect(outcome?.recorded).toEqual({ status: 'failed', completedAt, ...done });
        expect(await tier.getRun(key)).toEqual(outcome?.run);
        expect(await tier.getCompletion(key)).toEqual({ status: 'failed', completedAt, ...done });
        expect(await tier.complete(newKey(), { status: 'completed', completedAt, ...done })).toBeNull();
        expect(await tier.getCompletion(newKey())).toBeNull();
      });

      it('complete is final: a second one changes nothing and reports the first outcome', async () => {
        const key = newKey();
        await commit(key, version(1));
        const first = {
          status: 'completed' as const,
          completedAt: 1_790_000_000_000,
          model: 'm',
          inputTokens: 3,
          outputTokens: 4,
          costUsd: 1.5,
        };
        await tier.complete(key, first);
        const again = await tier.complete(key, {
          ...first,
          status: 'failed',
          costUsd: 1000,
          completedAt: 1_790_000_999_000,
        });
        expect(again?.first).toBe(false);
        expect(again?.recorded).toEqual(first);
        expect(await tier.getRun(key)).toMatchObject({ status: 'completed', completedAt: first.completedAt });
      });

      it('a completed run takes no new version and keeps its status', async () => {
        const key = newKey();
        await commit(key, version(1));
        await tier.complete(key, {
          status: 'completed',
          completedAt: 1_790_000_000_000,
          model: null,
          inputTokens: 0,
          outputTokens: 0,
          costUsd: 0,
        });
        // A new version is refused ('sealed'); a retry of the version it holds is still answered 'committed'.
        expect(await commit(key, version(2), { run: fields({ status: 'running' }) })).toEqual({
          status: 'sealed',
        });
        expect(await commit(key, version(1))).toEqual({ status: 'committed' });
        expect(await tier.getRun(key)).toMatchObject({ status: 'completed', durableVersion: 1 });
        expect(await tier.loadLatest(key)).toMatchObject({ version: 1 });
        // Retention's closing commit of an abandoned run's hot head is the one exception.
        expect(await commit(key, version(2), { intoCompletedRun: true })).toEqual({ status: 'committed' });
        expect(await tier.getRun(key)).toMatchObject({ status: 'completed', durableVersion: 2 });
      });

      it('loadVersions reads payloads newest first in one call: limit, before and a from..to range', async () => {
        const key = newKey();
        const stored = [];
        for (let v = 1; v <= 6; v++) {
          const rec = version(v, { v, text: 'é'.repeat(v) });
          stored.push(rec);
          await commit(key, rec);
        }
        expect(await tier.loadVersions(key, { limit: 2 })).toEqual([stored[5], stored[4]]);
        expect(await tier.loadVersions(key, { limit: 10, beforeVersion: 3 })).toEqual([stored[1], stored[0]]);
        expect(await tier.loadVersions(key, { limit: 10, fromVersion: 2, toVersion: 4 })).toEqual([
          stored[3],
          stored[2],
          stored[1],
        ]);
        expect(await tier.loadVersions(newKey(), { limit: 10 })).toEqual([]);
      });

      it('listCheckpoints pages newest first with beforeVersion', async () => {
        const key = newKey();
        for (let v = 1; v <= 5; v++)
          await commit(key, version(v, { v }, { checkpoint: v === 3 ? 'FULL' : 'AUTO' }));
        const first = await tier.listCheckpoints(key, { limit: 2 });
        expect(first.map((c) => c.version)).toEqual([5, 4]);
        const rest = await tier.listCheckpoints(key, { limit: 10, beforeVersion: 4 });
        expect(rest.map((c) => c.version)).toEqual([3, 2, 1]);
        const v3 = version(3, { v: 3 }, { checkpoint: 'FULL' });
        expect(rest[0]).toEqual({
          version: 3,
          hash: v3.hash,
          checkpoint: 'FULL',
          sizeBytes: v3.sizeBytes,
          savedAt: v3.savedAt,
        });
        expect(await tier.listCheckpoints(newKey(), { limit: 10 })).toEqual([]);
      });

      it('listRuns filters and pages without duplicates or gaps', async () => {
        const tenantId = id('t');
        const made: {
          runId: string;
          agentName: string;
          status: RunFields['status'];
          parentRunId: string | null;
        }[] = [];
        for (let i = 0; i < 9; i++) {
          const spec = {
            runId: `run_${i}_${randomUUID().slice(0, 6)}`,
            agentName: i % 3 === 0 ? 'writer' : 'planner',
            status: i % 2 === 0 ? ('running' as const) : ('completed' as const),
            parentRunId: i > 0 && i < 5 ? 'root' : null,
          };
          made.push(spec);
          const { runId, ...run } = spec;
          await commit({ tenantId, runId }, version(1), { run: fields(run) });
        }
        await commit(newKey(), version(1)); // another tenant's run must never show up

        const walk = async (filter: Partial<Parameters<DurableTier['listRuns']>[1]>) => {
          const seen: string[] = [];
          let cursor: string | undefined;
          for (let page = 0; page < 20; page++) {
            const res = await tier.listRuns(tenantId, {
              limit: 2,
              ...filter,
              ...(cursor === undefined ? {} : { cursor }),
            });
            expect(res.runs.length).toBeLessThanOrEqual(2);
            seen.push(...res.runs.map((r) => r.runId));
            if (!res.nextCursor) return seen;
            cursor = res.nextCursor;
          }
          throw new Error('listRuns never ended');
        };
        const ids = (pick: (m: (typeof made)[number]) => boolean) =>
          made
            .filter(pick)
            .map((m) => m.runId)
            .sort();

        const all = await walk({});
        expect(new Set(all).size).toBe(all.length);
        expect([...all].sort()).toEqual(ids(() => true));
        const whole = await tier.listRuns(tenantId, { limit: 1000 });
        expect(whole.runs.map((r) => r.runId)).toEqual(all);
        expect(whole.nextCursor).toBeNull();
        const times = whole.runs.map((r) => r.createdAt);
        expect(times).toEqual([...times].sort((a, b) => b - a));

        expect((await walk({ status: 'completed' })).sort()).toEqual(ids((m) => m.status === 'completed'));
        expect((await walk({ agentName: 'writer' })).sort()).toEqual(ids((m) => m.agentName === 'writer'));
        expect((await walk({ parentRunId: 'root' })).sort()).toEqual(ids((m) => m.parentRunId === 'root'));
        expect((await walk({ parentRunId: 'root', status: 'running', agentName: 'planner' })).sort()).toEqual(
          ids((m) => m.parentRunId === 'root' && m.status === 'running' && m.agentName === 'planner'),
        );
        expect(await tier.listRuns(id('t'), { limit: 10 })).toEqual({ runs: [], nextCursor: null });
      });

      it('listRuns refuses a cursor it did not hand out', async () => {
        await expect(tier.listRuns(id('t'), { limit: 10, cursor: 'not-a-cursor' })).rejects.toBeInstanceOf(
          InvalidRequest,
        );
      });

      it('deleteRun removes the run, its checkpoints and its receipts', async () => {
        const key = newKey();
        await commit(key, version(1), { idempotency: receiptFor(key, version(1), 'idem-1') });
        await commit(key, version(2));
        expect(await tier.deleteRun(key)).toBe(true);
        expect(await tier.getRun(key)).toBeNull();
        expect(await tier.loadLatest(key)).toBeNull();
        expect(await tier.loadVersion(key, 1)).toBeNull();
        expect(await tier.listCheckpoints(key, { limit: 10 })).toEqual([]);
        expect(await tier.getReceipt(key, 'idem-1')).toBeNull();
        expect(await tier.deleteRun(key)).toBe(false);
        // Nothing is left behind: the same run id and idempotency key start afresh.
        const again = receiptFor(key, version(1, 'new'), 'idem-1', 'fp-new');
        expect(await commit(key, version(1, 'new'), { idempotency: again, requireHead: 0 })).toEqual({
          status: 'committed',
        });
      });

      it('keeps tenants apart: the same run id under two tenants', async () => {
        const runId = id('run');
        const a = { tenantId: id('ta'), runId };
        const b = { tenantId: id('tb'), runId };
        await commit(a, version(1, 'for a'), { run: fields({ agentName: 'alpha' }) });
        await commit(b, version(1, 'for b'), { run: fields({ agentName: 'beta' }) });
        await commit(b, version(2, 'for b'));
        expect((await tier.loadLatest(a))?.payload).toBe('"for a"');
        expect((await tier.getRun(a))?.durableVersion).toBe(1);
        expect((await tier.getRun(b))?.durableVersion).toBe(2);
        expect((await tier.listRuns(a.tenantId, { limit: 10 })).runs.map((r) => r.agentName)).toEqual([
          'alpha',
        ]);
        expect(await tier.deleteRun(a)).toBe(true);
        expect((await tier.loadLatest(b))?.payload).toBe('"for b"');
        expect(await tier.getRun(b)).not.toBeNull();
      });
    });

    describe('tenants and API keys', () => {
      it('creates, reads and re-plans a tenant; a second create returns it unchanged', async () => {
        const tenantId = id('tenant');
        const created = await tier.createTenant({ id: tenantId, name: 'Acme', plan: 'early' });
        expect(created).toMatchObject({ id: tenantId, name: 'Acme', plan: 'early' });
        expect(await tier.getTenant(tenantId)).toEqual(created);
        expect(await tier.createTenant({ id: tenantId, name: 'Other', plan: 'free' })).toEqual(created);
        expect(await tier.setPlan(tenantId, 'enterprise')).toEqual({ ...created, plan: 'enterprise' });
        expect(await tier.getTenant(id('tenant'))).toBeNull();
        expect(await tier.setPlan(id('tenant'), 'mid')).toBeNull();
      });

      it('finds a tenant by key hash until the key is revoked', async () => {
        const tenant = await tier.createTenant({ id: id('tenant'), name: 'Keys', plan: 'free' });
        const hash = createHash('sha256').update(randomUUID()).digest('hex');
        const spare = createHash('sha256').update(randomUUID()).digest('hex');
        await tier.addApiKey(tenant.id, { keyHash: hash, label: 'ci' });
        await tier.addApiKey(tenant.id, { keyHash: spare, label: 'laptop' });
        expect(await tier.findTenantByKeyHash(hash)).toEqual(tenant);
        expect(await tier.findTenantByKeyHash('0'.repeat(64))).toBeNull();
        expect(await tier.revokeApiKey(hash)).toBe(true);
        expect(await tier.findTenantByKeyHash(hash)).toBeNull();
        expect(await tier.revokeApiKey(hash)).toBe(false);
        expect(await tier.revokeApiKey('0'.repeat(64))).toBe(false);
        await tier.addApiKey(tenant.id, { keyHash: hash, label: 'again' }); // re-adding does not revive it
        expect(await tier.findTenantByKeyHash(hash)).toBeNull();
        expect(await tier.findTenantByKeyHash(spare)).toEqual(tenant);
      });

      it('refuses a key for a tenant that does not exist', async () => {
        await expect(
          tier.addApiKey(id('tenant'), { keyHash: 'f'.repeat(64), label: 'x' }),
        ).rejects.toBeInstanceOf(NotFound);
      });
    });
  });
}
