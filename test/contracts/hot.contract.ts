/**
 * The HotTier contract: every adapter runs this suite through a fixture (see hot.memory.test.ts,
 * hot.upstash.int.test.ts). Ids are random per test, so suites can share a real Redis and run in parallel.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TierUnavailable } from '../../lib/errors.ts';
import type { HotSaveOptions, HotTier, OutboxEntry } from '../../lib/tiers/hot/port.ts';
import type { IdempotencyWrite, RunKey, StoredVersion } from '../../lib/tiers/types.ts';
import { hotChainSpecs } from './hot-chains.contract.ts';

export interface HotFixture {
  readonly name: string;
  create(): Promise<HotTier>;
  destroy?(tier: HotTier): Promise<void>;
  /** Moves the adapter's clock; without it the suite waits in real time (short TTLs, bounded waits). */
  advanceTime?(ms: number): Promise<void>;
  /**
   * Writes `record` as the run's head in the adapter's layout from before delta chains (one whole record, no
   * chain), as an earlier version left it, and answers the tier to go on with (`tier`, or a new one for an
   * adapter that reads that layout only when it starts).
   */
  writeLegacyHead(tier: HotTier, key: RunKey, record: StoredVersion, ttlSeconds: number): Promise<HotTier>;
}

const runKey = (tenantId = `t-${randomUUID()}`): RunKey => ({ tenantId, runId: `r-${randomUUID()}` });

function record(version: number, payload = `{"step":${version}}`): StoredVersion {
  return {
    version,
    hash: `${randomUUID().replaceAll('-', '')}${version}`,
    checkpoint: 'AUTO',
    encoding: 'json',
    payload,
    sizeBytes: Buffer.byteLength(payload),
    savedAt: 1_767_225_600_000 + version,
  };
}

function idem(key: string, fingerprint: string, rec: StoredVersion, ttlSeconds = 60): IdempotencyWrite {
  return {
    key,
    fingerprint,
    ttlSeconds,
    receipt: { runId: 'run', version: rec.version, hash: rec.hash, durability: 'hot' },
  };
}

const TTL = 60;

export function hotContract(fx: HotFixture): void {
  describe(`${fx.name} · HotTier contract`, () => {
    let tier: HotTier;
    const elapse = (ms: number) => (fx.advanceTime ? fx.advanceTime(ms) : sleep(ms));
    /** Saves versions 1..n as a new run would (knownHead 0 for the first). */
    async function seed(
      key: RunKey,
      n: number,
      opts: Partial<HotSaveOptions> = {},
    ): Promise<StoredVersion[]> {
      const saved: StoredVersion[] = [];
      for (let v = 1; v <= n; v++) {
        const rec = record(v);
        expect(await tier.save(key, rec, { ttlSeconds: TTL, knownHead: v - 1, ...opts })).toEqual({
          status: 'saved',
        });
        saved.push(rec);
      }
      return saved;
    }

    beforeEach(async () => {
      tier = await fx.create();
    });
    afterEach(async () => {
      await (fx.destroy ? fx.destroy(tier) : tier.close());
    });

    it('round-trips a record byte for byte: unicode, control characters, a 64 KB+ payload', async () => {
      const unicode = `{"t":"nul\u0000 tab\t é 中文 עברית 🧪👩🏽‍💻 e\u0301 \u2028"}`;
      const large = JSON.stringify({ blob: 'ä€😀x'.repeat(9_000) });
      expect(Buffer.byteLength(large)).toBeGreaterThan(64 * 1024);
      for (const payload of [unicode, large]) {
        const key = runKey();
        const rec = { ...record(1, payload), checkpoint: 'CRITICAL', encoding: 'gzip-base64' } as const;
        expect(await tier.save(key, rec, { ttlSeconds: TTL, knownHead: 0 })).toEqual({ status: 'saved' });
        expect(await tier.load(key)).toEqual(rec);
      }
    });

    it('returns strings as stored, never parsed: "123", "true", "null", JSON, empty', async () => {
      const payloads = ['123', 'true', 'null', '"quoted"', '{"a":1}', '[1,2]', ''];
      const keys = payloads.map(() => runKey());
      await Promise.all(
        payloads.map((p, i) => tier.save(keys[i]!, record(1, p), { ttlSeconds: TTL, knownHead: 0 })),
      );
      const loaded = await Promise.all(keys.map((k) => tier.load(k)));
      expect(loaded.map((r) => r?.payload)).toEqual(payloads);
    });

    it('loads null for a run it does not hold', async () => {
      expect(await tier.load(runKey())).toBeNull();
    });

    it('answers head_unknown for an absent run without knownHead, and writes nothing', async () => {
      const key = runKey();
      expect(await tier.save(key, record(1), { ttlSeconds: TTL })).toEqual({ status: 'head_unknown' });
      expect(await tier.load(key)).toBeNull();
    });

    it('saves version 1 of an absent run with knownHead 0, and checks knownHead otherwise', async () => {
      const fresh = runKey();
      expect(await tier.save(fresh, record(1), { ttlSeconds: TTL, knownHead: 0 })).toEqual({
        status: 'saved',
      });
      const resumed = runKey();
      expect(await tier.save(resumed, record(2), { ttlSeconds: TTL, knownHead: 4 })).toEqual({
        status: 'conflict',
        currentVersion: 4,
      });
      expect(await tier.load(resumed)).toBeNull();
      const rec = record(5);
      expect(await tier.save(resumed, rec, { ttlSeconds: TTL, knownHead: 4 })).toEqual({ status: 'saved' });
      expect(await tier.load(resumed)).toEqual(rec);
    });

    it('compare-and-set: a save not on top of the head conflicts with currentVersion and writes nothing', async () => {
      const key = runKey();
      const [, v2] = await seed(key, 2);
      for (const version of [1, 2, 4]) {
        expect(await tier.save(key, record(version), { ttlSeconds: TTL })).toEqual({
          status: 'conflict',
          currentVersion: 2,
        });
      }
      // A present head wins over knownHead.
      expect(await tier.save(key, record(8), { ttlSeconds: TTL, knownHead: 7 })).toEqual({
        status: 'conflict',
        currentVersion: 2,
      });
      expect(await tier.load(key)).toEqual(v2);
    });

    it('replays a used idempotency key with the first receipt and writes nothing', async () => {
      const key = runKey();
      await seed(key, 1);
      const v2 = record(2);
      const first = idem('k1', 'fp-a', v2);
      expect(await tier.save(key, v2, { ttlSeconds: TTL, idempotency: first })).toEqual({ status: 'saved' });
      const v3 = record(3);
      expect(await tier.save(key, v3, { ttlSeconds: TTL, idempotency: idem('k1', 'fp-a', v3) })).toEqual({
        status: 'replayed',
        receipt: first.receipt,
      });
      // Checked before compare-and-set: a retry of the very same save replays instead of conflicting.
      expect(await tier.save(key, v2, { ttlSeconds: TTL, idempotency: first })).toEqual({
        status: 'replayed',
        receipt: first.receipt,
      });
      expect(await tier.load(key)).toEqual(v2);
    });

    it('refuses a used idempotency key with another fingerprint and writes nothing', async () => {
      const key = runKey();
      const [v1] = await seed(key, 1, { idempotency: idem('k1', 'fp-a', record(1)) });
      expect(
        await tier.save(key, record(2), { ttlSeconds: TTL, idempotency: idem('k1', 'fp-b', record(2)) }),
      ).toEqual({ status: 'idempotency_mismatch' });
      expect(await tier.load(key)).toEqual(v1);
    });

    it('promotes only a newer record, or into an absent run', async () => {
      const key = runKey();
      const v3 = record(3);
      expect(await tier.promote(key, v3, TTL)).toBe(true);
      expect(await tier.load(key)).toEqual(v3);
      expect(await tier.promote(key, record(3), TTL)).toBe(false);
      expect(await tier.promote(key, record(2), TTL)).toBe(false);
      expect(await tier.load(key)).toEqual(v3);
      const v4 = record(4);
      expect(await tier.promote(key, v4, TTL)).toBe(true);
      expect(await tier.load(key)).toEqual(v4);
      expect(await tier.save(key, record(5), { ttlSeconds: TTL })).toEqual({ status: 'saved' });
    });

    it('revert restores the head a keepPrevious save replaced and forgets its receipt', async () => {
      const key = runKey();
      const [v1] = await seed(key, 1);
      const v2 = record(2);
      await tier.save(key, v2, { ttlSeconds: TTL, keepPrevious: true, idempotency: idem('k2', 'fp-a', v2) });
      await tier.revert(key, 2, v2.hash, 'k2');
      expect(await tier.load(key)).toEqual(v1);
      const again = record(2);
      expect(
        await tier.save(key, again, { ttlSeconds: TTL, idempotency: idem('k2', 'fp-b', again) }),
      ).toEqual({
        status: 'saved',
      });
    });

    it('revert drops the head when the save replaced nothing', async () => {
      const key = runKey();
      const v1 = record(1);
      await tier.save(key, v1, {
        ttlSeconds: TTL,
        knownHead: 0,
        keepPrevious: true,
        idempotency: idem('k', 'a', v1),
      });
      await tier.revert(key, 1, v1.hash, 'k');
      expect(await tier.load(key)).toBeNull();
      expect(
        await tier.save(key, record(1), { ttlSeconds: TTL, knownHead: 0, idempotency: idem('k', 'b', v1) }),
      ).toEqual({ status: 'saved' });
    });

    it('revert never restores a head older than the one the save replaced', async () => {
      const key = runKey();
      await seed(key, 2, { keepPrevious: true });
      const v3 = record(3);
      await tier.save(key, v3, { ttlSeconds: TTL });
      await tier.revert(key, 3, v3.hash);
      expect(await tier.load(key)).toBeNull();
    });

    it('revert does nothing unless the head is still that version with that hash', async () => {
      const key = runKey();
      await seed(key, 1);
      const v2 = record(2);
      const write = idem('k', 'fp', v2);
      await tier.save(key, v2, { ttlSeconds: TTL, keepPrevious: true, idempotency: write });
      await tier.revert(key, 2, 'another-hash', 'k');
      await tier.revert(key, 1, v2.hash, 'k');
      expect(await tier.load(key)).toEqual(v2);
      expect(await tier.save(key, v2, { ttlSeconds: TTL, idempotency: write })).toEqual({
        status: 'replayed',
        receipt: write.receipt,
      });
    });

    it('delete removes the head, the kept previous head and the receipts', async () => {
      const key = runKey();
      await seed(key, 1, { idempotency: idem('k1', 'fp-a', record(1)) });
      const v2 = record(2);
      await tier.save(key, v2, { ttlSeconds: TTL, keepPrevious: true, idempotency: idem('k2', 'fp-a', v2) });
      await tier.delete(key);
      expect(await tier.load(key)).toBeNull();
      for (const k of ['k1', 'k2']) {
        expect(
          await tier.save(key, record(1), { ttlSeconds: TTL, idempotency: idem(k, 'fp-b', record(1)) }),
        ).toEqual({
          status: 'head_unknown',
        });
      }
      // Nothing of the kept previous head is left to restore either.
      await tier.promote(key, v2, TTL);
      await tier.revert(key, 2, v2.hash);
      expect(await tier.load(key)).toBeNull();
      await expect(tier.delete(runKey())).resolves.toBeUndefined();
    });

    it('a sealed run refuses saves (head or not) but replays a known receipt; promotion keeps the seal', async () => {
      const key = runKey();
      const [v1] = await seed(key, 1, { idempotency: idem('k1', 'fp-a', record(1)) });
      await tier.seal(key, TTL);
      expect(await tier.save(key, record(2), { ttlSeconds: TTL })).toEqual({ status: 'sealed' });
      expect(await tier.load(key)).toEqual(v1);
      expect(
        await tier.save(key, record(1), {
          ttlSeconds: TTL,
          knownHead: 0,
          idempotency: idem('k1', 'fp-a', v1!),
        }),
      ).toMatchObject({ status: 'replayed' });
      // The head may expire or be replaced by a promotion: the seal outlives both.
      expect(await tier.promote(key, record(5), TTL)).toBe(true);
      expect(await tier.save(key, record(6), { ttlSeconds: TTL })).toEqual({ status: 'sealed' });
      const headless = runKey();
      await tier.seal(headless, TTL);
      expect(await tier.save(headless, record(1), { ttlSeconds: TTL, knownHead: 0 })).toEqual({
        status: 'sealed',
      });
      // delete removes the seal with the rest.
      await tier.delete(key);
      expect(await tier.save(key, record(1), { ttlSeconds: TTL, knownHead: 0 })).toEqual({ status: 'saved' });
      // Other runs are not sealed.
      expect(await tier.save(runKey(), record(1), { ttlSeconds: TTL, knownHead: 0 })).toEqual({
        status: 'saved',
      });
    });

    it('checks baseHash with the version: another content, or no hot head, answers base_changed and writes nothing', async () => {
      const key = runKey();
      const [v1] = await seed(key, 1);
      const v2 = record(2);
      expect(await tier.save(key, v2, { ttlSeconds: TTL, baseHash: 'not-the-head' })).toEqual({
        status: 'base_changed',
      });
      expect(await tier.load(key)).toEqual(v1);
      expect(await tier.save(key, v2, { ttlSeconds: TTL, baseHash: v1!.hash })).toEqual({ status: 'saved' });
      expect(await tier.load(key)).toEqual(v2);
      // Without a hot head the content cannot be checked: the caller must read its base.
      expect(await tier.save(runKey(), record(1), { ttlSeconds: TTL, knownHead: 0, baseHash: 'h' })).toEqual({
        status: 'base_changed',
      });
      // The version is checked first: a stale writer still learns the current version.
      expect(await tier.save(key, record(2), { ttlSeconds: TTL, baseHash: v1!.hash })).toEqual({
        status: 'conflict',
        currentVersion: 2,
      });
    });

    it('expires the head after its TTL, each save refreshing it', async () => {
      const key = runKey();
      await tier.save(key, record(1), { ttlSeconds: 1, knownHead: 0 });
      await elapse(600);
      const v2 = record(2);
      expect(await tier.save(key, v2, { ttlSeconds: 1 })).toEqual({ status: 'saved' });
      await elapse(600);
      expect(await tier.load(key)).toEqual(v2);
      await elapse(700);
      expect(await tier.load(key)).toBeNull();
    });

    it('expires an idempotency receipt after its own TTL', async () => {
      const key = runKey();
      await seed(key, 1, { idempotency: idem('k', 'fp-a', record(1), 1) });
      await elapse(1_300);
      expect(
        await tier.save(key, record(2), { ttlSeconds: TTL, idempotency: idem('k', 'fp-b', record(2)) }),
      ).toEqual({
        status: 'saved',
      });
    });

    it('rejects a TTL that is not positive, writing nothing', async () => {
      const key = runKey();
      await expect(tier.save(key, record(1), { ttlSeconds: 0, knownHead: 0 })).rejects.toThrow(RangeError);
      await expect(tier.promote(key, record(1), -1)).rejects.toThrow(RangeError);
      expect(await tier.load(key)).toBeNull();
    });

    for (const [label, headBefore] of [
      ['an absent run (knownHead 0)', 0],
      ['an existing head', 3],
    ] as const) {
      it(`50 concurrent saves of the same version on ${label}: exactly one wins`, async () => {
        const key = runKey();
        await seed(key, headBefore);
        const candidates = Array.from({ length: 50 }, () => record(headBefore + 1));
        const outcomes = await Promise.all(
          candidates.map((rec) => tier.save(key, rec, { ttlSeconds: TTL, knownHead: headBefore })),
        );
        const won = outcomes.flatMap((o, i) => (o.status === 'saved' ? [candidates[i]] : []));
        expect(won).toHaveLength(1);
        expect(
          outcomes.filter((o) => o.status === 'conflict' && o.currentVersion === headBefore + 1),
        ).toHaveLength(49);
        expect(await tier.load(key)).toEqual(won[0]);
      });
    }

    it('isolates tenants, runs and idempotency keys, even when ids contain separators', async () => {
      const runId = `r-${randomUUID()}`;
      const a = { tenantId: `a-${randomUUID()}`, runId };
      const b = { tenantId: `b-${randomUUID()}`, runId };
      const [v1] = await seed(a, 1, { idempotency: idem('shared', 'fp-a', record(1)) });
      expect(await tier.load(b)).toBeNull();
      expect(
        await tier.save(b, record(1), { ttlSeconds: TTL, idempotency: idem('shared', 'fp-b', record(1)) }),
      ).toEqual({
        status: 'head_unknown',
      });
      // "t:x" + "r" and "t" + "x:r" must not share keys.
      const t = `t-${randomUUID()}`;
      await seed({ tenantId: `${t}:x`, runId: 'r' }, 1);
      expect(await tier.load({ tenantId: t, runId: 'x:r' })).toBeNull();
      await tier.delete(b);
      expect(await tier.load(a)).toEqual(v1);
    });

    describe('outbox of runs not durable yet', () => {
      const PENDING = { ttlSeconds: TTL, pendingDurable: true } as const;
      const at = (version: number, savedAt: number): StoredVersion => ({ ...record(version), savedAt });
      const idOf = (k: RunKey) => JSON.stringify([k.tenantId, k.runId]);
      /** The outbox entries of these runs only: an adapter on a shared Redis may hold other tests' entries. */
      async function outboxOf(...keys: RunKey[]): Promise<OutboxEntry[]> {
        const ids = new Set(keys.map(idOf));
        const all = await tier.outboxBatch({ savedBefore: Number.POSITIVE_INFINITY, limit: 10_000 });
        return all.filter((e) => ids.has(idOf(e.key)));
      }

      it('a pendingDurable save records the run at its savedAt; other saves add or move nothing', async () => {
        const sizeBefore = await tier.outboxSize();
        const [pending, durable, unknown] = [runKey(), runKey(), runKey()];
        const [v1] = await seed(pending, 1, { pendingDurable: true });
        await seed(durable, 2);
        expect(await tier.save(unknown, record(1), PENDING)).toEqual({ status: 'head_unknown' });
        expect(await tier.save(pending, record(1), PENDING)).toEqual({
          status: 'conflict',
          currentVersion: 1,
        });
        expect(await outboxOf(pending, durable, unknown)).toEqual([{ key: pending, savedAt: v1!.savedAt }]);
        expect(await tier.outboxSize()).toBe(sizeBefore + 1);
        // A save the caller commits durably itself leaves the entry as it is: the drain will find it durable.
        expect(await tier.save(pending, record(2), { ttlSeconds: TTL })).toEqual({ status: 'saved' });
        expect(await outboxOf(pending)).toEqual([{ key: pending, savedAt: v1!.savedAt }]);
        // A replayed save writes nothing, the outbox included.
        const write = idem('k', 'fp', record(3));
        await tier.save(pending, at(3, 50_005), { ...PENDING, idempotency: write });
        await tier.save(pending, at(3, 50_009), { ...PENDING, idempotency: write });
        expect(await outboxOf(pending)).toEqual([{ key: pending, savedAt: 50_005 }]);
      });

      it('lists oldest first, up to limit, savedBefore inclusive; a later pending save moves the run', async () => {
        // Scores below any other test's (those are >= 50_000), so a shared outbox lists these first.
        const base = 0;
        const [k1, k2, k3] = [runKey(), runKey(), runKey()];
        for (const [k, offset] of [
          [k1, 30],
          [k2, 10],
          [k3, 20],
        ] as const) {
          expect(await tier.save(k, at(1, base + offset), { ...PENDING, knownHead: 0 })).toEqual({
            status: 'saved',
          });
        }
        const entry = (key: RunKey, offset: number) => ({ key, savedAt: base + offset });
        expect(await tier.outboxBatch({ savedBefore: base + 30, limit: 10 })).toEqual([
          entry(k2, 10),
          entry(k3, 20),
          entry(k1, 30),
        ]);
        expect(await tier.outboxBatch({ savedBefore: base + 30, limit: 2 })).toEqual([
          entry(k2, 10),
          entry(k3, 20),
        ]);
        expect(await tier.outboxBatch({ savedBefore: base + 19, limit: 10 })).toEqual([entry(k2, 10)]);
        expect(await tier.outboxBatch({ savedBefore: base + 9, limit: 10 })).toEqual([]);
        expect(await tier.save(k2, at(2, base + 40), PENDING)).toEqual({ status: 'saved' });
        expect(await tier.outboxBatch({ savedBefore: base + 100, limit: 10 })).toEqual([
          entry(k3, 20),
          entry(k1, 30),
          entry(k2, 40),
        ]);
        await expect(tier.outboxBatch({ savedBefore: base, limit: 0 })).rejects.toThrow(RangeError);
        await expect(tier.outboxBatch({ savedBefore: base, limit: 1.5 })).rejects.toThrow(RangeError);
        await expect(tier.outboxBatch({ savedBefore: Number.NaN, limit: 1 })).rejects.toThrow(RangeError);
      });

      it('outboxAck removes only entries whose score is still the one read', async () => {
        const [a, b] = [runKey(), runKey()];
        await seed(a, 1, { pendingDurable: true });
        await seed(b, 1, { pendingDurable: true });
        const sizeBefore = await tier.outboxSize();
        const read = await outboxOf(a, b);
        expect(read).toHaveLength(2);
        // b is saved again between the drain's read and its ack: it must stay for the next drain.
        const v2 = record(2);
        expect(await tier.save(b, v2, PENDING)).toEqual({ status: 'saved' });
        expect(await tier.outboxAck(read)).toBe(1);
        expect(await outboxOf(a, b)).toEqual([{ key: b, savedAt: v2.savedAt }]);
        expect(await tier.outboxSize()).toBe(sizeBefore - 1);
        expect(await tier.outboxAck(read)).toBe(0);
        expect(await tier.outboxAck([])).toBe(0);
        expect(await tier.outboxAck([{ key: b, savedAt: v2.savedAt + 1 }])).toBe(0);
        expect(await tier.outboxAck([{ key: runKey(), savedAt: v2.savedAt }])).toBe(0);
        expect(await tier.outboxAck(await outboxOf(b))).toBe(1);
        expect(await outboxOf(a, b)).toEqual([]);
        expect(await tier.outboxSize()).toBe(sizeBefore - 2);
      });

      it('delete removes the entry; tenants and runs are isolated, even with separators in ids', async () => {
        const runId = `r:{${randomUUID()}}%`;
        const a = { tenantId: `a:${randomUUID()}`, runId };
        const b = { tenantId: `b:${randomUUID()}`, runId };
        // "t:x" + "r" and "t" + "x:r" are two runs, saved at the same time.
        const t = `t-${randomUUID()}`;
        const c = { tenantId: `${t}:x`, runId: 'r' };
        const d = { tenantId: t, runId: 'x:r' };
        for (const k of [a, b, c, d]) {
          expect(await tier.save(k, at(1, 70_007), { ...PENDING, knownHead: 0 })).toEqual({
            status: 'saved',
          });
        }
        const sizeBefore = await tier.outboxSize();
        await tier.delete(a);
        expect(await outboxOf(a, b, c, d)).toEqual(expect.arrayContaining([{ key: b, savedAt: 70_007 }]));
        expect(await outboxOf(a)).toEqual([]);
        expect(await tier.outboxSize()).toBe(sizeBefore - 1);
        expect(await tier.outboxAck([{ key: c, savedAt: 70_007 }])).toBe(1);
        expect(await outboxOf(b, c, d)).toEqual(
          expect.arrayContaining([
            { key: b, savedAt: 70_007 },
            { key: d, savedAt: 70_007 },
          ]),
        );
        expect(await outboxOf(b, c, d)).toHaveLength(2);
        // A run whose hot copy was deleted can be recorded again.
        expect(await tier.save(a, at(1, 70_008), { ...PENDING, knownHead: 0 })).toEqual({ status: 'saved' });
        expect(await outboxOf(a)).toEqual([{ key: a, savedAt: 70_008 }]);
      });

      it('keeps the entry after the hot copy expired: it is the record that the head was not made durable', async () => {
        const key = runKey();
        await tier.save(key, at(1, 90_003), { ttlSeconds: 1, knownHead: 0, pendingDurable: true });
        await elapse(1_300);
        expect(await tier.load(key)).toBeNull();
        expect(await outboxOf(key)).toEqual([{ key, savedAt: 90_003 }]);
      });
    });

    hotChainSpecs({
      fx,
      tier: () => tier,
      replaceTier: (next) => {
        tier = next;
      },
      runKey,
    });

    it('keeps a credential for its TTL, for every caller; an unknown one is null', async () => {
      const hash = `k-${randomUUID()}`;
      expect(await tier.recallCredential(hash)).toBeNull();
      await tier.rememberCredential(hash, '{"id":"t","plan":"mid","é":"🧪"}', 1);
      expect(await tier.recallCredential(hash)).toBe('{"id":"t","plan":"mid","é":"🧪"}');
      await elapse(1_300);
      expect(await tier.recallCredential(hash)).toBeNull();
    });

    it('answers ping, and rejects calls with TierUnavailable once closed', async () => {
      await expect(tier.ping()).resolves.toBeUndefined();
      const other = await fx.create();
      await other.close();
      await expect(other.ping()).rejects.toThrow(TierUnavailable);
      await expect(other.load(runKey())).rejects.toThrow(TierUnavailable);
    });
  });
}
