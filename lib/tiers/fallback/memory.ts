/** An in-process FallbackStore for unit tests: the semantics of the local folder, nothing kept on disk. */
import { TierUnavailable } from '../../errors.ts';
import type { RunKey } from '../types.ts';
import type { DeadLetter, FallbackStore, SpooledWrite } from './port.ts';
import { bySpoolId, checkListPage, checkReason, createSpoolIds, newestFirst } from './spool-order.ts';

export interface MemoryFallbackOptions {
  /**
   * Clock for the ids and the time of quarantine, in epoch ms.
   * @default Date.now
   */
  readonly now?: (() => number) | undefined;
}

const sameRun = (a: RunKey, b: RunKey) => a.tenantId === b.tenantId && a.runId === b.runId;
/** The claim of one version; the run's claims share the prefix of version ''. */
const claimName = (key: RunKey, version: number | '') =>
  `${JSON.stringify([key.tenantId, key.runId])}:${version}`;

export function createMemoryFallback(options: MemoryFallbackOptions = {}): FallbackStore {
  const { now = Date.now } = options;
  const nextId = createSpoolIds(now);
  // A Map keeps insertion order, which is id order: ids only grow within one store.
  const writes = new Map<string, SpooledWrite>();
  // Quarantined in any order: sorted by id when listed.
  const dead = new Map<string, DeadLetter>();
  // claimName → the hash that claimed it.
  const claims = new Map<string, string>();
  let closed = false;

  function open(): void {
    if (closed) throw new TierUnavailable('fallback', 'the memory fallback store was closed');
  }

  function ofRun(key: RunKey): SpooledWrite[] {
    return [...writes.values()]
      .filter((w) => sameRun(w.key, key))
      .sort((a, b) =>
        newestFirst({ id: a.id, version: a.record.version }, { id: b.id, version: b.record.version }),
      );
  }

  return {
    async spool(write) {
      open();
      // A copy, so the caller's object and the spooled write never share nested state.
      const spooled: SpooledWrite = structuredClone({ ...write, id: nextId() });
      writes.set(spooled.id, spooled);
      return spooled;
    },
    async list(page) {
      checkListPage(page);
      open();
      const { after } = page;
      const out: SpooledWrite[] = [];
      for (const write of writes.values()) {
        if (out.length >= page.limit) break;
        if (after === undefined || write.id > after) out.push(write);
      }
      return out;
    },
    async loadLatest(key) {
      open();
      return ofRun(key)[0]?.record ?? null;
    },
    async loadVersion(key, version) {
      open();
      return ofRun(key).find((w) => w.record.version === version)?.record ?? null;
    },
    async claimVersion(key, version, hash) {
      open();
      if (!Number.isSafeInteger(version) || version < 0)
        throw new RangeError(`claimVersion: version must be a non-negative integer, got ${version}`);
      const name = claimName(key, version);
      const held = claims.get(name);
      if (held !== undefined) return held === hash ? 'claimed' : 'taken';
      claims.set(name, hash);
      return 'claimed';
    },
    async remove(id) {
      open();
      const write = writes.get(id);
      if (write) claims.delete(claimName(write.key, write.record.version));
      writes.delete(id);
    },
    async removeRun(key) {
      open();
      const doomed = ofRun(key);
      for (const write of doomed) writes.delete(write.id);
      const prefix = claimName(key, '');
      for (const name of [...claims.keys()]) if (name.startsWith(prefix)) claims.delete(name);
      const letters = [...dead.values()].filter((d) => sameRun(d.write.key, key));
      for (const letter of letters) dead.delete(letter.write.id);
      return doomed.length + letters.length;
    },
    async count() {
      open();
      return writes.size;
    },
    async quarantine(id, reason) {
      checkReason(reason);
      open();
      const write = writes.get(id);
      if (!write) return false;
      writes.delete(id);
      dead.set(id, { write, reason, quarantinedAt: now() });
      return true;
    },
    async deadLetters(page) {
      checkListPage(page);
      open();
      const { after } = page;
      return [...dead.values()]
        .filter((d) => after === undefined || d.write.id > after)
        .sort((a, b) => bySpoolId(a.write, b.write))
        .slice(0, page.limit);
    },
    async deadLetterCount() {
      open();
      return dead.size;
    },
    async ping() {
      open();
    },
    async close() {
      closed = true;
    },
  };
}
