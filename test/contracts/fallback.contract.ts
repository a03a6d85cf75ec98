/**
 * The FallbackStore contract: every adapter runs this suite through a fixture (see fallback.memory.test.ts,
 * fallback.local-folder.test.ts). Each test starts from an empty store. Covers the dead letters too.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunFields } from '../../lib/tiers/durable/port.ts';
import type { FallbackStore, SpooledWrite } from '../../lib/tiers/fallback/port.ts';
import type { RunKey, StoredVersion } from '../../lib/tiers/types.ts';

export interface FallbackFixture {
  readonly name: string;
  create(): Promise<FallbackStore>;
  /** Closes `store` and opens the same storage again; without it the survival test is skipped. */
  reopen?(store: FallbackStore): Promise<FallbackStore>;
  destroy?(store: FallbackStore): Promise<void>;
}

const run: RunFields = {
  agentName: 'planner',
  parentRunId: null,
  threadId: 't-1',
  userId: 'u-1',
  status: 'running',
};

function record(version: number, payload = `{"step":${version}}`): StoredVersion {
  return {
    version,
    hash: `h${version}-${payload.length}`,
    checkpoint: 'CRITICAL',
    encoding: 'json',
    payload,
    sizeBytes: Buffer.byteLength(payload),
    savedAt: 1_767_225_600_000 + version,
  };
}

const write = (key: RunKey, version: number, payload?: string): Omit<SpooledWrite, 'id'> => ({
  key,
  record: record(version, payload),
  run,
  spooledAt: 1_767_225_700_000 + version,
});

const ids = (writes: readonly SpooledWrite[]) => writes.map((w) => w.id);

export function fallbackContract(fx: FallbackFixture): void {
  describe(`${fx.name} · FallbackStore contract`, () => {
    let store: FallbackStore;
    beforeEach(async () => {
      store = await fx.create();
    });
    afterEach(async () => {
      await (fx.destroy ? fx.destroy(store) : store.close());
    });

    const a: RunKey = { tenantId: 'tenant-a', runId: 'run-1' };
    const b: RunKey = { tenantId: 'tenant-b', runId: 'run-1' }; // same run id, another tenant
    const c: RunKey = { tenantId: 'tenant-a', runId: 'run-2' };

    it('spools writes and lists them oldest first, ids sorting in spool order', async () => {
      expect(await store.list({ limit: 10 })).toEqual([]);
      const spooled: SpooledWrite[] = [];
      for (const [key, v] of [
        [a, 1],
        [b, 1],
        [a, 2],
        [c, 1],
      ] as const)
        spooled.push(await store.spool(write(key, v)));
      for (const s of spooled) expect(s).toEqual({ ...write(s.key, s.record.version), id: s.id });
      expect(await store.list({ limit: 10 })).toEqual(spooled);
      expect(ids(spooled)).toEqual(ids(spooled).toSorted());
      expect(new Set(ids(spooled)).size).toBe(4);
      expect(await store.count()).toBe(4);
    });

    it('pages with `after`, also after an id that was removed meanwhile', async () => {
      const spooled: SpooledWrite[] = [];
      for (let v = 1; v <= 5; v++) spooled.push(await store.spool(write(a, v)));
      const first = await store.list({ limit: 2 });
      expect(first).toEqual(spooled.slice(0, 2));
      expect(await store.list({ limit: 2, after: spooled[1]!.id })).toEqual(spooled.slice(2, 4));
      expect(await store.list({ limit: 2, after: spooled[4]!.id })).toEqual([]);
      // The drain removes what it made durable, then asks for the page after it.
      for (const w of first) await store.remove(w.id);
      expect(await store.list({ limit: 10, after: spooled[1]!.id })).toEqual(spooled.slice(2));
      await expect(store.list({ limit: 0 })).rejects.toThrow(RangeError);
    });

    it('loads the highest spooled version of a run, and one version, per tenant', async () => {
      await store.spool(write(a, 3, '{"a":3}'));
      await store.spool(write(a, 2, '{"a":2}'));
      await store.spool(write(b, 7, '{"b":7}'));
      expect(await store.loadLatest(a)).toEqual(record(3, '{"a":3}'));
      expect(await store.loadLatest(b)).toEqual(record(7, '{"b":7}'));
      expect(await store.loadVersion(a, 2)).toEqual(record(2, '{"a":2}'));
      expect(await store.loadVersion(b, 2)).toBeNull();
      expect(await store.loadVersion(a, 7)).toBeNull();
      expect(await store.loadLatest(c)).toBeNull();
      expect(await store.loadLatest({ tenantId: 'tenant-c', runId: 'run-1' })).toBeNull();
    });

    it('answers the write spooled last when a version was spooled twice', async () => {
      await store.spool(write(a, 4, '{"try":1}'));
      await store.spool(write(a, 4, '{"try":2}'));
      expect(await store.loadLatest(a)).toEqual(record(4, '{"try":2}'));
      expect(await store.loadVersion(a, 4)).toEqual(record(4, '{"try":2}'));
    });

    it('keeps runs apart whatever their ids contain', async () => {
      const odd: RunKey[] = [
        { tenantId: '../../etc', runId: 'passwd' },
        { tenantId: 'a/b', runId: 'c' },
        { tenantId: 'a', runId: 'b/c' },
        { tenantId: 'a:b', runId: 'c' },
        { tenantId: 'a', runId: 'b:c' },
        { tenantId: '', runId: '\u0000 🧪 é'.repeat(40) },
      ];
      for (const [i, key] of odd.entries()) await store.spool(write(key, i + 1, `{"i":${i}}`));
      for (const [i, key] of odd.entries())
        expect(await store.loadLatest(key)).toEqual(record(i + 1, `{"i":${i}}`));
      expect((await store.list({ limit: 10 })).map((w) => w.key)).toEqual(odd);
    });

    it('removes one write (a missing or forged id is a no-op) and falls back to the previous version', async () => {
      const v1 = await store.spool(write(a, 1));
      const v2 = await store.spool(write(a, 2));
      await store.remove(v2.id);
      await store.remove(v2.id);
      await store.remove('../../../etc/passwd');
      await store.remove(`${v1.id}/..`);
      expect(await store.list({ limit: 10 })).toEqual([v1]);
      expect(await store.loadLatest(a)).toEqual(v1.record);
      expect(await store.loadVersion(a, 2)).toBeNull();
      expect(await store.count()).toBe(1);
    });

    it('removes every write of one run, and only of that run', async () => {
      for (let v = 1; v <= 3; v++) await store.spool(write(a, v));
      const others = [await store.spool(write(b, 1)), await store.spool(write(c, 1))];
      expect(await store.removeRun(a)).toBe(3);
      expect(await store.removeRun(a)).toBe(0);
      expect(await store.loadLatest(a)).toBeNull();
      expect(await store.list({ limit: 10 })).toEqual(others);
      expect(await store.count()).toBe(2);
    });

    it('returns payloads byte for byte: unicode, control characters, 64 KB+, and every field', async () => {
      const unicode = `{"t":"nul\u0000 tab\t é 中文 עברית 🧪👩🏽‍💻 e\u0301 \u2028 \ud800"}`;
      const large = JSON.stringify({ blob: 'ä€😀x'.repeat(9_000) });
      expect(Buffer.byteLength(large)).toBeGreaterThan(64 * 1024);
      const full: Omit<SpooledWrite, 'id'> = {
        ...write(a, 1, unicode),
        run: { ...run, parentRunId: 'parent', threadId: null, status: 'paused' },
        idempotency: {
          key: 'idem-é',
          fingerprint: 'fp',
          ttlSeconds: 86_400,
          receipt: { runId: 'run-1', version: 1, hash: 'h', durability: 'spooled' },
        },
      };
      const first = await store.spool(full);
      const second = await store.spool({
        ...write(a, 2, large),
        record: { ...record(2, large), encoding: 'gzip-base64' },
      });
      expect(await store.list({ limit: 10 })).toEqual([first, second]);
      expect((await store.list({ limit: 1 }))[0]).toEqual({ ...full, id: first.id });
      expect((await store.loadVersion(a, 1))?.payload).toBe(unicode);
      expect((await store.loadLatest(a))?.payload).toBe(large);
    });

    it('lists each of 200 concurrent spools exactly once', async () => {
      const spooled = await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          store.spool(write({ tenantId: 't', runId: `r${i % 7}` }, i + 1)),
        ),
      );
      const listed: SpooledWrite[] = [];
      let after: string | undefined;
      for (let page = 0; page < 10; page++) {
        const next = await store.list({ limit: 30, ...(after !== undefined && { after }) });
        listed.push(...next);
        after = next.at(-1)?.id;
        if (next.length < 30) break;
      }
      expect(listed).toHaveLength(200);
      expect(ids(listed)).toEqual(ids(spooled).toSorted());
      expect(new Set(listed.map((w) => w.record.version)).size).toBe(200);
      expect(await store.count()).toBe(200);
      // r3 holds the versions v with (v - 1) % 7 === 3; the highest is 200.
      expect((await store.loadLatest({ tenantId: 't', runId: 'r3' }))?.version).toBe(200);
    });

    describe('dead letters', () => {
      it('quarantine moves a write out of the spool into the dead letters, with its reason and time', async () => {
        const v1 = await store.spool(write(a, 1));
        const v2 = await store.spool(write(a, 2));
        const other = await store.spool(write(b, 1));
        expect(await store.deadLetterCount()).toBe(0);
        expect(await store.deadLetters({ limit: 10 })).toEqual([]);
        const before = Date.now();
        expect(await store.quarantine(v2.id, 'invalid_data')).toBe(true);
        const after = Date.now();
        // Out of the spool: no list, count or load sees it (and so no drain replays it, no read serves it).
        expect(await store.list({ limit: 10 })).toEqual([v1, other]);
        expect(await store.count()).toBe(2);
        expect(await store.loadLatest(a)).toEqual(v1.record);
        expect(await store.loadVersion(a, 2)).toBeNull();
        const [letter, ...more] = await store.deadLetters({ limit: 10 });
        expect(more).toEqual([]);
        expect(letter).toMatchObject({ write: v2, reason: 'invalid_data' });
        expect(letter!.quarantinedAt).toBeGreaterThanOrEqual(before);
        expect(letter!.quarantinedAt).toBeLessThanOrEqual(after);
        expect(await store.deadLetterCount()).toBe(1);
      });

      it('a dead letter stays: quarantining or removing it again, or a forged id, changes nothing', async () => {
        const v1 = await store.spool(write(a, 1));
        expect(await store.quarantine(v1.id, 'invalid_data')).toBe(true);
        expect(await store.quarantine(v1.id, 'after_dead_letter')).toBe(false);
        await store.remove(v1.id);
        expect(await store.quarantine('../../../etc/passwd', 'invalid_data')).toBe(false);
        expect(await store.quarantine(`${v1.id}/..`, 'invalid_data')).toBe(false);
        expect(await store.quarantine('000000000000001-000000-000000000000-nope', 'invalid_data')).toBe(
          false,
        );
        expect(await store.deadLetters({ limit: 10 })).toEqual([
          { write: v1, reason: 'invalid_data', quarantinedAt: expect.any(Number) },
        ]);
        expect(await store.deadLetterCount()).toBe(1);
        expect(await store.count()).toBe(0);
      });

      it('refuses a reason that is not a code, and moves nothing', async () => {
        const v1 = await store.spool(write(a, 1));
        for (const reason of ['', 'Invalid', 'has space', '../x', 'a.b', 'x'.repeat(65), 'nul\u0000'])
          await expect(store.quarantine(v1.id, reason)).rejects.toThrow(RangeError);
        expect(await store.list({ limit: 10 })).toEqual([v1]);
        expect(await store.deadLetterCount()).toBe(0);
      });

      it('lists dead letters in spool order, not quarantine order, and pages with `after`', async () => {
        const spooled: SpooledWrite[] = [];
        for (let v = 1; v <= 5; v++) spooled.push(await store.spool(write(v % 2 ? a : c, v)));
        for (const i of [3, 0, 4, 1]) await store.quarantine(spooled[i]!.id, `reason_${i}`);
        const letters = await store.deadLetters({ limit: 10 });
        expect(letters.map((d) => d.write)).toEqual([spooled[0], spooled[1], spooled[3], spooled[4]]);
        expect(letters.map((d) => d.reason)).toEqual(['reason_0', 'reason_1', 'reason_3', 'reason_4']);
        expect((await store.deadLetters({ limit: 2 })).map((d) => d.write)).toEqual(spooled.slice(0, 2));
        expect((await store.deadLetters({ limit: 2, after: spooled[1]!.id })).map((d) => d.write)).toEqual([
          spooled[3],
          spooled[4],
        ]);
        // `after` need not be a dead letter itself (here: the write still spooled).
        expect(
          (await store.deadLetters({ limit: 10, after: spooled[2]!.id })).map((d) => d.write.id),
        ).toEqual([spooled[3]!.id, spooled[4]!.id]);
        expect(await store.list({ limit: 10 })).toEqual([spooled[2]]);
        await expect(store.deadLetters({ limit: 1001 })).rejects.toThrow(RangeError);
      });

      it('removeRun removes the dead letters of the run too, and only of that run', async () => {
        const gone = [await store.spool(write(a, 1)), await store.spool(write(a, 2))];
        await store.spool(write(a, 3));
        const kept = await store.spool(write(b, 1));
        await store.quarantine(gone[0]!.id, 'invalid_data');
        await store.quarantine(gone[1]!.id, 'after_dead_letter');
        await store.quarantine(kept.id, 'invalid_data');
        expect(await store.removeRun(a)).toBe(3);
        expect(await store.removeRun(a)).toBe(0);
        expect((await store.deadLetters({ limit: 10 })).map((d) => d.write)).toEqual([kept]);
        expect(await store.deadLetterCount()).toBe(1);
        expect(await store.count()).toBe(0);
      });

      it('keeps the payload and every field of a quarantined write byte for byte', async () => {
        const payload = `{"t":"nul\u0000 é 🧪 \u2028"}`;
        const full: Omit<SpooledWrite, 'id'> = {
          ...write({ tenantId: '../t', runId: 'a\u0000b' }, 7, payload),
          idempotency: {
            key: 'idem',
            fingerprint: 'fp',
            ttlSeconds: 60,
            receipt: { runId: 'a\u0000b', version: 7, hash: 'h', durability: 'spooled' },
          },
        };
        const spooled = await store.spool(full);
        await store.quarantine(spooled.id, 'invalid_data');
        const [letter] = await store.deadLetters({ limit: 1 });
        expect(letter?.write).toEqual({ ...full, id: spooled.id });
        expect(letter?.write.record.payload).toBe(payload);
      });
    });

    it('claims a version once: the same hash again is a retry, another hash finds it taken; claims go with their run', async () => {
      expect(await store.claimVersion(a, 3, 'h3')).toBe('claimed');
      expect(await store.claimVersion(a, 3, 'h3')).toBe('claimed');
      expect(await store.claimVersion(a, 3, 'other')).toBe('taken');
      expect(await store.claimVersion(b, 3, 'other')).toBe('claimed'); // another tenant's run
      expect(await store.claimVersion(a, 4, 'other')).toBe('claimed');
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => store.claimVersion(c, 7, `writer-${i}`)),
      );
      expect(results.filter((r) => r === 'claimed')).toHaveLength(1);
      // A drained write takes its claim along; so does erasing the run.
      const spooled = await store.spool(write(a, 3));
      await store.remove(spooled.id);
      expect(await store.claimVersion(a, 3, 'other')).toBe('claimed');
      await store.removeRun(a);
      expect(await store.claimVersion(a, 4, 'new')).toBe('claimed');
      await expect(store.claimVersion(a, -1, 'h')).rejects.toThrow(RangeError);
    });

    it('answers ping while open', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });

    it.skipIf(!fx.reopen)('keeps every spooled write across a reopen, and spools after them', async () => {
      const before = [
        await store.spool(write(a, 1)),
        await store.spool(write(b, 2)),
        await store.spool(write(a, 3)),
      ];
      await store.remove(before[1]!.id);
      store = await fx.reopen!(store);
      expect(await store.list({ limit: 10 })).toEqual([before[0], before[2]]);
      expect(await store.loadLatest(a)).toEqual(before[2]!.record);
      expect(await store.loadLatest(b)).toBeNull();
      expect(await store.count()).toBe(2);
      const after = await store.spool(write(a, 4));
      expect(after.id > before[2]!.id).toBe(true);
      // Dead letters survive a reopen too, and stay out of the spool.
      expect(await store.quarantine(before[0]!.id, 'invalid_data')).toBe(true);
      store = await fx.reopen!(store);
      expect(await store.deadLetters({ limit: 10 })).toEqual([
        { write: before[0], reason: 'invalid_data', quarantinedAt: expect.any(Number) },
      ]);
      expect(await store.list({ limit: 10 })).toEqual([before[2], after]);
      expect(await store.removeRun(a)).toBe(3);
      expect(await store.deadLetterCount()).toBe(0);
    });
  });
}
