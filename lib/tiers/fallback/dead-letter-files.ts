/**
 * The dead letters of the local-folder fallback: a subfolder of the spool, each file a spool file renamed into
 * it, its name extended by the time of quarantine and the reason. A rename within one file system is atomic,
 * so a write is in the spool or in the dead letters, never both and never neither, whatever crashes when; and
 * the name carries all the listing needs, so nothing is written besides the rename.
 */
import { access, mkdir, readdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { fileOf, parseSpoolName, type SpoolFile, syncDir } from './folder-files.ts';
import { bySpoolId, REASON_PATTERN } from './spool-order.ts';

/**
 * Inside the spool folder; no spool file name can be this (spool files end in `.json`). Created on the first
 * quarantine, so a spool that never had a dead letter looks exactly as it always did.
 */
export const DEAD_LETTER_DIR = 'dead-letters';

export interface DeadLetterFile extends SpoolFile {
  readonly name: string;
  readonly reason: string;
  readonly quarantinedAt: number;
}

const TIME = /^\d{15}$/;

/** `<spool id>.<epoch ms, 15 digits>.<reason>.json`: the spool file's name with the time and reason added. */
export function deadLetterName(id: string, quarantinedAt: number, reason: string): string {
  return `${id}.${String(quarantinedAt).padStart(15, '0')}.${reason}.json`;
}

/** The parts of a dead-letter file name, or null for anything else. */
export function parseDeadLetterName(name: string): DeadLetterFile | null {
  const parts = name.split('.');
  if (parts.length !== 4 || parts[3] !== 'json') return null;
  const [id = '', time = '', reason = ''] = parts;
  const file = parseSpoolName(fileOf(id));
  if (!file || !TIME.test(time) || !REASON_PATTERN.test(reason)) return null;
  return { ...file, name, reason, quarantinedAt: Number(time) };
}

/** The dead-letter files of `deadDir`, in spool-id order; none while the folder does not exist. */
export async function listDeadLetterFiles(deadDir: string): Promise<DeadLetterFile[]> {
  let names: string[];
  try {
    names = await readdir(deadDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const files: DeadLetterFile[] = [];
  for (const name of names) {
    const file = parseDeadLetterName(name);
    if (file) files.push(file);
  }
  return files.sort(bySpoolId);
}

/**
 * Renames the spool file of `id` into `deadDir` as `name`, then makes the rename durable (both folders' entries
 * changed; the second also makes a just-created `deadDir` durable). False when the spool file is gone: removed, or quarantined by another process first.
 */
export async function moveToDeadLetters(
  dir: string,
  deadDir: string,
  id: string,
  name: string,
): Promise<boolean> {
  try {
    // Not recursive: a spool folder that vanished must not be brought back empty by a quarantine.
    await mkdir(deadDir, { mode: 0o700 }).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    });
    await rename(join(dir, fileOf(id)), join(deadDir, name));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    // ENOENT names no side: only a spool file that is really gone means "nothing to quarantine".
    const stillSpooled = await access(join(dir, fileOf(id))).then(
      () => true,
      () => false,
    );
    if (stillSpooled) throw error;
    return false;
  }
  await syncDir(deadDir);
  await syncDir(dir);
  return true;
}
