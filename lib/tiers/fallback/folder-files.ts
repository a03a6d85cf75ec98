/**
 * The files of the local-folder fallback: names that carry what the in-memory index needs (so it is rebuilt
 * from a directory listing, not by reading every file), atomic writes, and crash leftovers.
 */
import { createHash, randomBytes } from 'node:crypto';
import { open, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunKey } from '../types.ts';

/**
 * `<spool id prefix>-<run hash>-<version>.json`. Tenant and run ids never appear in a name: they are hashed,
 * so no id (`../`, `/`, a NUL, 300 characters) can leave the folder or exceed a file-name limit.
 */
const SPOOL_FILE = /^(\d{15}-\d{6}-[0-9a-f]{12}-([0-9a-f]{32})-(\d{1,16}))\.json$/;
const TEMP_FILE = /^\.spool-[0-9a-f]{16}\.tmp$/;

export interface SpoolFile {
  readonly id: string;
  readonly runHash: string;
  readonly version: number;
}

/**
 * 128 bits of sha256 over the JSON of the pair: no separator inside an id can make two runs share a hash, and
 * a collision is out of reach; readers still compare the key stored in the file.
 */
export function runHash(key: RunKey): string {
  return createHash('sha256')
    .update(JSON.stringify([key.tenantId, key.runId]))
    .digest('hex')
    .slice(0, 32);
}

export const fileOf = (id: string) => `${id}.json`;

/** The parts of a spool file name, or null for anything else (temp files, a stray README, a forged id). */
export function parseSpoolName(name: string): SpoolFile | null {
  const match = SPOOL_FILE.exec(name);
  if (!match) return null;
  const [, id = '', hash = '', version = ''] = match;
  return { id, runHash: hash, version: Number(version) };
}

/** The spool files of `dir`, oldest first (names sort in spool order). */
export async function listSpoolFiles(dir: string): Promise<SpoolFile[]> {
  const files: SpoolFile[] = [];
  for (const name of await readdir(dir)) {
    const file = parseSpoolName(name);
    if (file) files.push(file);
  }
  return files.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/**
 * Writes `name` so that it exists complete or not at all, and survives a power cut once this resolves:
 * temp file in the same folder, fsync, rename over, fsync the folder (which makes the rename durable).
 */
export async function writeAtomically(dir: string, name: string, body: string): Promise<void> {
  const temp = join(dir, `.spool-${randomBytes(8).toString('hex')}.tmp`);
  try {
    // Agent state at rest: readable by this user only.
    const file = await open(temp, 'wx', 0o600);
    try {
      await file.writeFile(body, 'utf8');
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, join(dir, name));
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  await syncDir(dir);
}

export async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Deletes temp files a crash left behind. Only those older than `staleMs`: a younger one may belong to
 * another process sharing the folder that is writing it right now. The rest are ignored by every read.
 */
export async function removeStaleTemps(dir: string, staleMs: number, now: number): Promise<void> {
  for (const name of await readdir(dir)) {
    if (!TEMP_FILE.test(name)) continue;
    const path = join(dir, name);
    const info = await stat(path).catch(() => null);
    if (info && now - info.mtimeMs >= staleMs) await rm(path, { force: true });
  }
}
