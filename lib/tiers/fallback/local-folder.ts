/**
 * The fallback store in a local folder: one file per spooled write, written atomically; dead letters in a
 * subfolder (dead-letter-files.ts). Several processes may share the folder: names are unique, every read lists
 * the folder again (a spool by another instance is seen at once), and a file another process removed is skipped.
 */
import { access, constants, mkdir, open, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { TierUnavailable } from '../../errors.ts';
import type { RunKey } from '../types.ts';
import {
  DEAD_LETTER_DIR,
  type DeadLetterFile,
  deadLetterName,
  listDeadLetterFiles,
  moveToDeadLetters,
} from './dead-letter-files.ts';
import {
  fileOf,
  listSpoolFiles,
  parseSpoolName,
  removeStaleTemps,
  runHash,
  type SpoolFile,
  syncDir,
  writeAtomically,
} from './folder-files.ts';
import type { DeadLetter, FallbackStore, SpooledWrite } from './port.ts';
import { checkListPage, checkReason, createSpoolIds, newestFirst } from './spool-order.ts';

export interface LocalFolderFallbackOptions {
  /** The folder that holds the spool; created when missing. Give each deployment its own. */
  readonly dir: string;
  /**
   * Temp files older than this when the store opens are leftovers of a crash and are deleted.
   * @default 60000
   */
  readonly staleTempMs?: number | undefined;
  /**
   * Clock for ids, temp-file age and the time of quarantine, in epoch ms.
   * @default Date.now
   */
  readonly now?: (() => number) | undefined;
}

const FORMAT = 'strata-fallback/1';
/** The subfolder of version claims (claimVersion): one file per claimed version, holding the claiming hash. */
const CLAIM_DIR = 'claims';
const claimFileOf = (hash: string, version: number) => `${hash}-${version}`;
/** Files read at once by `list`: enough to hide latency, few enough to stay far from the fd limit. */
const READ_BATCH = 32;

const sameRun = (a: RunKey, b: RunKey) => a.tenantId === b.tenantId && a.runId === b.runId;

/** Reads `items` READ_BATCH at a time until `limit` results; an item that reads as null (gone) is skipped. */
async function readUpTo<I, T>(items: readonly I[], limit: number, read: (item: I) => Promise<T | null>) {
  const out: T[] = [];
  for (let i = 0; i < items.length && out.length < limit; i += READ_BATCH) {
    const batch = items.slice(i, i + Math.min(READ_BATCH, limit - out.length));
    for (const value of await Promise.all(batch.map(read))) if (value !== null) out.push(value);
  }
  return out;
}

/** Whatever the file system throws becomes TierUnavailable; our own answers pass through. */
async function io<T>(operation: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof TierUnavailable) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new TierUnavailable('fallback', `${operation} failed: ${reason}`, { cause: error });
  }
}

export async function createLocalFolderFallback(options: LocalFolderFallbackOptions): Promise<FallbackStore> {
  const { dir, staleTempMs = 60_000, now = Date.now } = options;
  const deadDir = join(dir, DEAD_LETTER_DIR);
  const claimDir = join(dir, CLAIM_DIR);
  // Per run (by hash): spool id → version, refreshed by a listing before every read. It may list files another
  // process has removed since (they are dropped when a read misses them).
  const index = new Map<string, Map<string, number>>();
  let closed = false;

  const remember = (file: SpoolFile) => {
    const run = index.get(file.runHash) ?? new Map<string, number>();
    index.set(file.runHash, run.set(file.id, file.version));
  };
  const forget = (id: string, hash: string) => {
    const run = index.get(hash);
    if (run?.delete(id) && run.size === 0) index.delete(hash);
  };
  /** Lists the folder and adds what it finds to the index (merging, so a spool racing the scan is kept). */
  const scan = async () => {
    const files = await listSpoolFiles(dir);
    for (const file of files) remember(file);
    return files;
  };
  const ensureOpen = () => {
    if (closed) throw new TierUnavailable('fallback', `the fallback store on ${dir} was closed`);
  };

  /** The write stored under `id`, or null once it is gone. */
  const read = (id: string) => readAt(join(dir, fileOf(id)), id);
  const readDead = async (file: DeadLetterFile): Promise<DeadLetter | null> => {
    const write = await readAt(join(deadDir, file.name), file.id);
    return write && { write, reason: file.reason, quarantinedAt: file.quarantinedAt };
  };

  async function readAt(path: string, id: string): Promise<SpooledWrite | null> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    let parsed: { format?: unknown; write?: SpooledWrite } | undefined;
    try {
      parsed = JSON.parse(text) as typeof parsed;
    } catch {
      parsed = undefined;
    }
    if (parsed?.format !== FORMAT || parsed.write?.id !== id)
      throw new TierUnavailable(
        'fallback',
        `${path} is not a readable ${FORMAT} spooled write; move it out of ${dir} so the drain can continue`,
      );
    return parsed.write;
  }

  /**
   * The run's writes, newest version first, that pass `accept`; stops at the first `limit`. The folder is listed
   * first: another instance sharing it may have spooled since (a directory listing, the files are not read).
   */
  async function findInRun(key: RunKey, accept: (version: number) => boolean, limit: number) {
    await scan();
    const hash = runHash(key);
    const candidates = [...(index.get(hash) ?? [])]
      .map(([id, version]) => ({ id, version }))
      .filter((c) => accept(c.version))
      .sort(newestFirst);
    const found: SpooledWrite[] = [];
    for (const { id } of candidates) {
      if (found.length >= limit) break;
      const write = await read(id);
      if (!write) forget(id, hash);
      else if (sameRun(write.key, key)) found.push(write);
    }
    return found;
  }

  const existing = await io(`opening ${dir}`, async () => {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await removeStaleTemps(dir, staleTempMs, now());
    return scan();
  });
  const nextId = createSpoolIds(now, existing.at(-1)?.id);

  return {
    async spool(write) {
      ensureOpen();
      const { version } = write.record;
      if (!Number.isSafeInteger(version) || version < 0)
        throw new RangeError(`spool: record.version must be a non-negative integer, got ${version}`);
      const hash = runHash(write.key);
      const file = { id: `${nextId()}-${hash}-${version}`, runHash: hash, version };
      const spooled: SpooledWrite = { ...write, id: file.id };
      await io('spool', () =>
        writeAtomically(dir, fileOf(file.id), JSON.stringify({ format: FORMAT, write: spooled })),
      );
      remember(file);
      return spooled;
    },
    async list(page) {
      checkListPage(page);
      ensureOpen();
      return io('list', async () => {
        const { after } = page;
        const ids = (await scan()).map((f) => f.id).filter((id) => after === undefined || id > after);
        // Read ahead in batches; a file removed meanwhile (by a drain elsewhere) is skipped, not returned short.
        return readUpTo(ids, page.limit, read);
      });
    },
    async loadLatest(key) {
      ensureOpen();
      const [write] = await io('loadLatest', () => findInRun(key, () => true, 1));
      return write?.record ?? null;
    },
    async loadVersion(key, version) {
      ensureOpen();
      const [write] = await io('loadVersion', () => findInRun(key, (v) => v === version, 1));
      return write?.record ?? null;
    },
    async claimVersion(key, version, hash) {
      ensureOpen();
      if (!Number.isSafeInteger(version) || version < 0)
        throw new RangeError(`claimVersion: version must be a non-negative integer, got ${version}`);
      return io('claimVersion', async () => {
        // Made on the first claim: a store that never needed one has no such folder.
        await mkdir(claimDir, { recursive: true, mode: 0o700 });
        const path = join(claimDir, claimFileOf(runHash(key), version));
        // O_EXCL: of several processes creating the same name, exactly one succeeds.
        const created = await open(path, 'wx', 0o600).catch((error: NodeJS.ErrnoException) => {
          if (error.code === 'EEXIST') return null;
          throw error;
        });
        if (!created) return (await readFile(path, 'utf8')) === hash ? 'claimed' : 'taken';
        try {
          await created.writeFile(hash, 'utf8');
          await created.sync();
        } finally {
          await created.close();
        }
        await syncDir(claimDir);
        return 'claimed';
      });
    },
    async remove(id) {
      ensureOpen();
      // An id that is not one of ours cannot exist here, and must never become a path.
      const file = parseSpoolName(fileOf(id));
      if (!file) return;
      await io('remove', async () => {
        await rm(join(dir, fileOf(id)), { force: true });
        await rm(join(claimDir, claimFileOf(file.runHash, file.version)), { force: true });
      });
      forget(file.id, file.runHash);
    },
    async removeRun(key) {
      ensureOpen();
      return io('removeRun', async () => {
        await scan(); // erasure must reach what other processes spooled, too
        const doomed = await findInRun(key, () => true, Number.POSITIVE_INFINITY);
        for (const write of doomed) {
          await rm(join(dir, fileOf(write.id)), { force: true });
          forget(write.id, runHash(key));
        }
        // An erased run must not come back after a power cut: make the removals durable.
        if (doomed.length > 0) await syncDir(dir);
        const hash = runHash(key);
        for (const name of await readdir(claimDir).catch(() => []))
          if (name.startsWith(`${hash}-`)) await rm(join(claimDir, name), { force: true });
        const candidates = (await listDeadLetterFiles(deadDir)).filter((f) => f.runHash === hash);
        let letters = 0;
        for (const file of candidates) {
          const letter = await readDead(file);
          if (!letter || !sameRun(letter.write.key, key)) continue;
          await rm(join(deadDir, file.name), { force: true });
          letters++;
        }
        if (letters > 0) await syncDir(deadDir);
        return doomed.length + letters;
      });
    },
    async count() {
      ensureOpen();
      return io('count', async () => (await scan()).length);
    },
    async quarantine(id, reason) {
      checkReason(reason);
      ensureOpen();
      const file = parseSpoolName(fileOf(id));
      if (!file) return false;
      const moved = await io('quarantine', () =>
        moveToDeadLetters(dir, deadDir, id, deadLetterName(id, now(), reason)),
      );
      forget(file.id, file.runHash); // gone from the spool either way
      return moved;
    },
    async deadLetters(page) {
      checkListPage(page);
      ensureOpen();
      return io('deadLetters', async () => {
        const { after } = page;
        const files = (await listDeadLetterFiles(deadDir)).filter((f) => after === undefined || f.id > after);
        return readUpTo(files, page.limit, readDead);
      });
    },
    async deadLetterCount() {
      ensureOpen();
      return io('deadLetterCount', async () => (await listDeadLetterFiles(deadDir)).length);
    },
    async ping() {
      ensureOpen();
      await io('ping', () => access(dir, constants.R_OK | constants.W_OK | constants.X_OK));
    },
    async close() {
      closed = true;
    },
  };
}
