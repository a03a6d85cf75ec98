/** Spool ids (strings that compare in spool order, unique across processes), and the orders and checks the adapters share. */
import { randomBytes } from 'node:crypto';
import type { ListPage } from './port.ts';

/** `<epoch ms, 15 digits>-<sequence within that ms, 6 digits>-<48 random bits, hex>`. */
export const SPOOL_ID_PREFIX = /^\d{15}-\d{6}-[0-9a-f]{12}/;

const MAX_SEQUENCE = 999_999;

/**
 * A generator of id prefixes that sort after `after` (the newest id already stored, if any). Within a
 * process ids strictly increase even if the wall clock steps back (the last time is kept and reused);
 * between processes the time orders them, and the random part keeps two processes that spool in the same
 * millisecond from colliding.
 */
export function createSpoolIds(now: () => number = Date.now, after?: string): () => string {
  // Seeded so that a store reopened within the same millisecond still hands out ids that sort last.
  const seed = after !== undefined && SPOOL_ID_PREFIX.test(after);
  let lastTime = seed ? Number(after.slice(0, 15)) : 0;
  let sequence = seed ? Number(after.slice(16, 22)) : 0;
  return () => {
    const time = Math.max(now(), lastTime);
    if (time === lastTime) sequence++;
    else sequence = 0;
    lastTime = time;
    if (sequence > MAX_SEQUENCE) {
      // A million ids in one millisecond cannot happen in practice; borrow the next millisecond if it does.
      lastTime++;
      sequence = 0;
    }
    const ms = String(lastTime).padStart(15, '0');
    const seq = String(sequence).padStart(6, '0');
    return `${ms}-${seq}-${randomBytes(6).toString('hex')}`;
  };
}

/** A run's writes, newest version first; on a tie the one spooled last. */
export function newestFirst(a: { id: string; version: number }, b: { id: string; version: number }): number {
  return b.version - a.version || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
}

export function checkListPage(page: ListPage): void {
  if (!Number.isInteger(page.limit) || page.limit < 1 || page.limit > 1_000)
    throw new RangeError(`list: limit must be an integer in 1..1000, got ${page.limit}`);
}

/** A dead letter's reason: a code that is safe in a file name, a log line and a terminal. */
export const REASON_PATTERN = /^[a-z][a-z0-9_]{0,63}$/;

export function checkReason(reason: string): void {
  if (!REASON_PATTERN.test(reason))
    throw new RangeError(
      `quarantine: reason must be a code like "invalid_data" ([a-z][a-z0-9_]*, <= 64), got ${JSON.stringify(reason)}`,
    );
}

/** Orders by spool id (a run's versions in spool order). */
export const bySpoolId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
