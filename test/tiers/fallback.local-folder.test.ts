/** The local-folder fallback store against the FallbackStore contract, plus what only a folder can get wrong. */
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TierUnavailable } from '../../lib/errors.ts';
import { createLocalFolderFallback } from '../../lib/tiers/fallback/local-folder.ts';
import type { FallbackStore, SpooledWrite } from '../../lib/tiers/fallback/port.ts';
import type { RunKey } from '../../lib/tiers/types.ts';
import { fallbackContract } from '../contracts/fallback.contract.ts';

const roots: string[] = [];
afterAll(async () => {
  await Promise.all(roots.map((d) => rm(d, { recursive: true, force: true })));
});
async function tempRoot(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'strata-fallback-'));
  roots.push(root);
  return root;
}

const dirs = new WeakMap<FallbackStore, string>();
async function openAt(dir: string): Promise<FallbackStore> {
  const store = await createLocalFolderFallback({ dir });
  dirs.set(store, dir);
  return store;
}

fallbackContract({
  name: 'local-folder',
  create: async () => openAt(join(await tempRoot(), 'spool')),
  async reopen(store) {
    await store.close();
    return openAt(dirs.get(store)!);
  },
  async destroy(store) {
    await store.close();
    await rm(dirs.get(store)!, { recursive: true, force: true });
  },
});

const key: RunKey = { tenantId: 'tenant', runId: 'run' };
const write = (k: RunKey, version: number): Omit<SpooledWrite, 'id'> => ({
  key: k,
  record: {
    version,
    hash: `h${version}`,
    checkpoint: 'CRITICAL',
    encoding: 'json',
    payload: `{"v":${version}}`,
    sizeBytes: 7,
    savedAt: version,
  },
  run: { agentName: 'a', parentRunId: null, threadId: null, userId: null, status: 'running' },
  spooledAt: version,
});

describe('local-folder fallback store · files', () => {
  it('keeps one JSON file per write, named by id, and no temp file', async () => {
    const dir = join(await tempRoot(), 'spool');
    const store = await openAt(dir);
    const spooled = await Promise.all([1, 2, 3].map((v) => store.spool(write(key, v))));
    expect((await readdir(dir)).sort()).toEqual(spooled.map((s) => `${s.id}.json`).sort());
    await store.close();
  });

  it('keeps agent state readable by its owner only: files 0600 in a 0700 folder', async () => {
    const dir = join(await tempRoot(), 'private-spool');
    const store = await openAt(dir);
    const spooled = await store.spool(write(key, 1));
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect((await stat(join(dir, `${spooled.id}.json`))).mode & 0o777).toBe(0o600);
    await store.close();
  });

  it('stores ids with ../ and / inside its folder, and never under their name', async () => {
    const root = await tempRoot();
    const dir = join(root, 'spool');
    const store = await openAt(dir);
    const evil: RunKey = { tenantId: '../../escaped', runId: '../../../etc/passwd' };
    await store.spool(write(evil, 1));
    expect(await store.loadLatest(evil)).toMatchObject({ version: 1 });
    expect(await readdir(root)).toEqual(['spool']);
    const [name = ''] = await readdir(dir);
    expect(name).toMatch(/^[0-9a-f-]+\.json$/);
    expect(name).not.toContain('escaped');
    // remove() takes an id from outside too: a forged one must not become a path.
    await writeFile(join(root, 'victim.json'), 'keep me');
    await store.remove('../victim');
    expect(await readdir(root)).toEqual(['spool', 'victim.json']);
    await store.close();
  });

  it('ignores temp files a crash left behind, and deletes them once they are stale', async () => {
    const dir = join(await tempRoot(), 'spool');
    const first = await openAt(dir);
    const kept = await first.spool(write(key, 1));
    await first.close();
    // A crash between the temp write and the rename: the half-written file must never be read.
    const stale = join(dir, '.spool-00000000000000aa.tmp');
    const fresh = join(dir, '.spool-00000000000000bb.tmp');
    for (const path of [stale, fresh]) await writeFile(path, '{"format":"strata-fallback/1","write":{"id');
    const hourAgo = new Date(Date.now() - 3_600_000);
    await utimes(stale, hourAgo, hourAgo);

    const second = await openAt(dir);
    expect(await second.list({ limit: 10 })).toEqual([kept]);
    expect(await second.count()).toBe(1);
    // The young one may be another process's write in progress: left alone.
    expect((await readdir(dir)).sort()).toEqual(['.spool-00000000000000bb.tmp', `${kept.id}.json`]);
    await second.close();
  });

  it('keeps spool order when the clock stands still or steps back, across a reopen too', async () => {
    const dir = join(await tempRoot(), 'spool');
    let clock = 1_767_225_600_000;
    const first = await createLocalFolderFallback({ dir, now: () => clock });
    const spooled = [await first.spool(write(key, 1)), await first.spool(write(key, 2))];
    clock -= 5_000;
    spooled.push(await first.spool(write(key, 3)));
    await first.close();
    const second = await createLocalFolderFallback({ dir, now: () => clock });
    spooled.push(await second.spool(write(key, 4)));
    expect((await second.list({ limit: 10 })).map((w) => w.record.version)).toEqual([1, 2, 3, 4]);
    expect(spooled.map((w) => w.id)).toEqual(spooled.map((w) => w.id).toSorted());
    await second.close();
  });

  it('sees what another process sharing the folder spools and removes', async () => {
    const dir = join(await tempRoot(), 'spool');
    const [one, two] = [await openAt(dir), await openAt(dir)];
    const mine = await one.spool(write(key, 1));
    const theirs = await two.spool(write(key, 2));
    expect(await one.list({ limit: 10 })).toEqual([mine, theirs]);
    expect(await one.loadLatest(key)).toEqual(theirs.record);
    await two.remove(theirs.id);
    expect(await one.loadLatest(key)).toEqual(mine.record);
    await two.spool(write(key, 3));
    expect(await one.removeRun(key)).toBe(2);
    expect(await two.count()).toBe(0);
    await Promise.all([one.close(), two.close()]);
  });

  it('answers a load with what another process spooled a moment ago, and claims a version for one process only', async () => {
    const dir = join(await tempRoot(), 'spool');
    const [one, two] = [await openAt(dir), await openAt(dir)];
    await one.loadLatest(key); // the index of `one` is built before `two` spools
    const theirs = await two.spool(write(key, 4));
    expect(await one.loadLatest(key)).toEqual(theirs.record);
    expect(await one.loadVersion(key, 4)).toEqual(theirs.record);
    const [first, second] = await Promise.all([
      one.claimVersion(key, 5, 'hash-one'),
      two.claimVersion(key, 5, 'hash-two'),
    ]);
    expect([first, second].sort()).toEqual(['claimed', 'taken']);
    await Promise.all([one.close(), two.close()]);
  });

  it('quarantines by renaming the file into dead-letters/, byte for byte, its name carrying time and reason', async () => {
    const dir = join(await tempRoot(), 'spool');
    let clock = 1_767_225_600_000;
    const store = await createLocalFolderFallback({ dir, now: () => clock });
    const kept = await store.spool(write(key, 1));
    const poisoned = await store.spool(write(key, 2));
    const body = await readFile(join(dir, `${poisoned.id}.json`), 'utf8');
    clock += 1234;
    expect(await store.quarantine(poisoned.id, 'invalid_data')).toBe(true);
    expect((await readdir(dir)).sort()).toEqual([`${kept.id}.json`, 'dead-letters']);
    const name = `${poisoned.id}.001767225601234.invalid_data.json`;
    expect(await readdir(join(dir, 'dead-letters'))).toEqual([name]);
    expect(await readFile(join(dir, 'dead-letters', name), 'utf8')).toBe(body);
    // A stray file among the dead letters is nobody's dead letter.
    await writeFile(join(dir, 'dead-letters', 'notes.txt'), 'operator notes');
    expect(await store.deadLetters({ limit: 10 })).toEqual([
      { write: poisoned, reason: 'invalid_data', quarantinedAt: 1_767_225_601_234 },
    ]);
    expect(await store.deadLetterCount()).toBe(1);
    await store.close();
  });

  it('two processes quarantining one write: exactly one moves it, both see the dead letter', async () => {
    const dir = join(await tempRoot(), 'spool');
    const [one, two] = [await openAt(dir), await openAt(dir)];
    const spooled = await Promise.all([1, 2, 3].map((v) => one.spool(write(key, v))));
    const moved = await Promise.all(
      spooled.flatMap((w) => [one.quarantine(w.id, 'invalid_data'), two.quarantine(w.id, 'invalid_data')]),
    );
    expect(moved.filter(Boolean)).toHaveLength(3);
    for (const store of [one, two]) {
      expect((await store.deadLetters({ limit: 10 })).map((d) => d.write)).toEqual(spooled);
      expect(await store.count()).toBe(0);
      expect(await store.loadLatest(key)).toBeNull();
    }
    expect(await two.removeRun(key)).toBe(3);
    expect(await one.deadLetterCount()).toBe(0);
    await Promise.all([one.close(), two.close()]);
  });

  it('a quarantine after the folder vanished moves nothing and does not bring the folder back', async () => {
    const root = await tempRoot();
    const dir = join(root, 'spool');
    const store = await openAt(dir);
    const spooled = await store.spool(write(key, 1));
    await rm(dir, { recursive: true });
    expect(await store.quarantine(spooled.id, 'invalid_data')).toBe(false);
    expect(await readdir(root)).toEqual([]);
    await store.close();
  });

  it('refuses a corrupt spool file with a message that says what to do, and ignores foreign files', async () => {
    const dir = join(await tempRoot(), 'spool');
    const store = await openAt(dir);
    const good = await store.spool(write(key, 1));
    await writeFile(join(dir, 'README.txt'), 'not a spooled write');
    expect(await store.list({ limit: 10 })).toEqual([good]);
    await writeFile(
      join(dir, `${good.id}.json`),
      (await readFile(join(dir, `${good.id}.json`), 'utf8')).slice(0, 40),
    );
    const error = await store.list({ limit: 10 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TierUnavailable);
    expect((error as Error).message).toContain(`move it out of ${dir}`);
    await store.close();
  });
});

describe('local-folder fallback store · I/O failures become TierUnavailable', () => {
  it('when the folder cannot be created (its parent is a file)', async () => {
    const root = await tempRoot();
    await writeFile(join(root, 'file'), '');
    const error = await createLocalFolderFallback({ dir: join(root, 'file', 'spool') }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TierUnavailable);
    expect((error as TierUnavailable).tier).toBe('fallback');
    expect((error as Error).cause).toMatchObject({ code: 'ENOTDIR' });
  });

  it('when the folder vanishes under an open store', async () => {
    const dir = join(await tempRoot(), 'spool');
    const store = await openAt(dir);
    await store.spool(write(key, 1));
    await rm(dir, { recursive: true });
    await expect(store.spool(write(key, 2))).rejects.toBeInstanceOf(TierUnavailable);
    await expect(store.list({ limit: 1 })).rejects.toBeInstanceOf(TierUnavailable);
    await expect(store.ping()).rejects.toBeInstanceOf(TierUnavailable);
    await store.close();
  });

  it('once closed', async () => {
    const store = await openAt(join(await tempRoot(), 'spool'));
    await store.close();
    await expect(store.spool(write(key, 1))).rejects.toThrow(/was closed/);
  });

  // Root ignores permission bits (CAP_DAC_OVERRIDE), so a 0500 folder stays writable: the tests above
  // provoke the errors another way, and this one runs where permissions are enforced.
  it.skipIf(process.getuid?.() === 0)('when the folder is read-only (chmod 0500)', async () => {
    const dir = join(await tempRoot(), 'spool');
    await mkdir(dir);
    const store = await openAt(dir);
    await chmod(dir, 0o500);
    try {
      await expect(store.spool(write(key, 1))).rejects.toBeInstanceOf(TierUnavailable);
      await expect(store.ping()).rejects.toBeInstanceOf(TierUnavailable);
    } finally {
      await chmod(dir, 0o700);
      await store.close();
    }
  });
});
