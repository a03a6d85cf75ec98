/** The in-process hot tier against the HotTier contract, plus its snapshot across restarts. */
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createMemoryHotTier } from '../../lib/tiers/hot/memory.ts';
import { hotContract } from '../contracts/hot.contract.ts';

let clock = 1_767_225_600_000;

hotContract({
  name: 'memory',
  create: () => createMemoryHotTier({ now: () => clock }),
  async advanceTime(ms) {
    clock += ms;
  },
  // The layout before chains lives on in snapshots: a head held one whole record. The tier reads it at start.
  async writeLegacyHead(tier, key, record, ttlSeconds) {
    await tier.close();
    const persistPath = join(await mkdtemp(join(tmpdir(), 'strata-hot-legacy-')), 'hot.json');
    const run = {
      id: JSON.stringify([key.tenantId, key.runId]),
      head: { value: record, expiresAt: clock + ttlSeconds * 1000 },
      prev: null,
      receipts: [],
    };
    await writeFile(persistPath, JSON.stringify({ format: 'strata-hot-memory/1', runs: [run] }));
    return createMemoryHotTier({ now: () => clock, persistPath });
  },
});

describe('memory hot tier · persistPath', () => {
  const dirs: string[] = [];
  const tempDir = async () => {
    const dir = await mkdtemp(join(tmpdir(), 'strata-hot-'));
    dirs.push(dir);
    return dir;
  };
  afterAll(async () => {
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });

  const key = { tenantId: 'tenant', runId: 'run' };
  const rec = {
    version: 1,
    hash: 'abc',
    checkpoint: 'AUTO',
    encoding: 'json',
    payload: '{"x":"é🧪"}',
    sizeBytes: 14,
    savedAt: 1,
  } as const;
  const receipt = { runId: 'run', version: 1, hash: 'abc', durability: 'hot' } as const;

  it('keeps heads and receipts across a close and a re-create, and leaves no temp file', async () => {
    const persistPath = join(await tempDir(), 'nested', 'hot.json');
    const first = await createMemoryHotTier({ persistPath });
    await first.save(key, rec, {
      ttlSeconds: 60,
      knownHead: 0,
      idempotency: { key: 'k', fingerprint: 'fp', ttlSeconds: 60, receipt },
    });
    await first.close();
    const second = await createMemoryHotTier({ persistPath });
    expect(await second.load(key)).toEqual(rec);
    expect(
      await second.save(
        key,
        { ...rec, version: 2 },
        {
          ttlSeconds: 60,
          idempotency: { key: 'k', fingerprint: 'fp', ttlSeconds: 60, receipt },
        },
      ),
    ).toEqual({ status: 'replayed', receipt });
    await second.close();
    expect(await readdir(join(persistPath, '..'))).toEqual(['hot.json']);
  });

  it('keeps the snapshot readable by its owner only (0600 in a 0700 folder), and keeps seals across a restart', async () => {
    const persistPath = join(await tempDir(), 'private', 'hot.json');
    const first = await createMemoryHotTier({ persistPath });
    await first.save(key, rec, { ttlSeconds: 60, knownHead: 0 });
    await first.seal(key, 60);
    await first.close();
    expect((await stat(persistPath)).mode & 0o777).toBe(0o600);
    expect((await stat(join(persistPath, '..'))).mode & 0o777).toBe(0o700);
    const second = await createMemoryHotTier({ persistPath });
    expect(await second.save(key, { ...rec, version: 2 }, { ttlSeconds: 60 })).toEqual({ status: 'sealed' });
    await second.close();
  });

  it('writes on its interval, and drops what expired while it was down', async () => {
    let now = 1_000_000;
    const persistPath = join(await tempDir(), 'hot.json');
    const first = await createMemoryHotTier({ persistPath, now: () => now, snapshotIntervalMs: 20 });
    await first.save(key, rec, { ttlSeconds: 1, knownHead: 0 });
    // Loaded by a second instance while the first still runs: only the interval can have written it.
    await expect
      .poll(async () => (await createMemoryHotTier({ persistPath, now: () => now })).load(key), {
        timeout: 2_000,
      })
      .toEqual(rec);
    await first.close();
    now += 1_500;
    expect(await (await createMemoryHotTier({ persistPath, now: () => now })).load(key)).toBeNull();
  });

  it('keeps the outbox across a restart, after the heads expired, and reads a snapshot without one', async () => {
    let now = 1_000_000;
    const persistPath = join(await tempDir(), 'hot.json');
    const first = await createMemoryHotTier({ persistPath, now: () => now });
    const other = { tenantId: 'tenant', runId: 'other' };
    await first.save(key, rec, { ttlSeconds: 1, knownHead: 0, pendingDurable: true });
    await first.save(other, { ...rec, savedAt: 2 }, { ttlSeconds: 1, knownHead: 0, pendingDurable: true });
    expect(await first.outboxAck([{ key: other, savedAt: 2 }])).toBe(1);
    await first.close();
    now += 5_000;
    const second = await createMemoryHotTier({ persistPath, now: () => now });
    expect(await second.load(key)).toBeNull();
    expect(await second.outboxBatch({ savedBefore: now, limit: 10 })).toEqual([{ key, savedAt: 1 }]);
    await second.delete(key);
    await second.close();
    const third = await createMemoryHotTier({ persistPath, now: () => now });
    expect(await third.outboxSize()).toBe(0);

    const older = join(await tempDir(), 'hot.json');
    await writeFile(older, JSON.stringify({ format: 'strata-hot-memory/1', runs: [] }));
    expect(await (await createMemoryHotTier({ persistPath: older })).outboxSize()).toBe(0);
  });

  it('refuses a corrupt snapshot with a message that says how to recover', async () => {
    const persistPath = join(await tempDir(), 'hot.json');
    await writeFile(persistPath, '{"format":"something else"}');
    await expect(createMemoryHotTier({ persistPath })).rejects.toThrow(
      /delete it to start with an empty hot tier/,
    );
  });
});
