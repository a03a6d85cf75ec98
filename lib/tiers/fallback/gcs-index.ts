/**
 * The GCS fallback store's view of the bucket: per run (by hash), its spooled writes' ids, versions and the
 * object generations last seen. Object names carry all of it, so a listing rebuilds it without reading objects,
 * and `loadLatest` — asked on every hot-tier load — answers from memory while the spool is empty.
 */
import type { SpoolFile } from './folder-files.ts';

export interface IndexedWrite {
  readonly version: number;
  /** The generation this instance last saw; a delete is conditional on it. */
  readonly generation: string;
  /** When this instance learned of the write (a counter), to tell a removed object from one not yet listed. */
  readonly learnedAt: number;
}

export interface RunIndex {
  remember(file: SpoolFile, generation: string): void;
  /** A mark to pass to `prune` for a listing that starts now. */
  mark(): number;
  forget(file: { readonly id: string; readonly runHash: string }): void;
  /** The run's entries as `{ id, version }`. */
  entriesOf(runHash: string): { id: string; version: number }[];
  get(file: { readonly id: string; readonly runHash: string }): IndexedWrite | undefined;
  /**
   * After a complete listing that started at `mark`: drops what the listing no longer shows and was known
   * before it started (Cloud Storage lists strongly consistently, so such an object was deleted meanwhile).
   * A write learned while the listing ran is kept: the listing may simply have passed its name already.
   */
  prune(listed: ReadonlySet<string>, mark: number): void;
}

export function createRunIndex(): RunIndex {
  const runs = new Map<string, Map<string, IndexedWrite>>();
  // A counter, not the clock: a clock may stand still or step back, and order is all that matters here.
  let learned = 0;
  const forget = (file: { readonly id: string; readonly runHash: string }) => {
    const run = runs.get(file.runHash);
    if (run?.delete(file.id) && run.size === 0) runs.delete(file.runHash);
  };
  return {
    remember(file, generation) {
      const run = runs.get(file.runHash) ?? new Map<string, IndexedWrite>();
      runs.set(file.runHash, run.set(file.id, { version: file.version, generation, learnedAt: ++learned }));
    },
    mark: () => learned + 1,
    forget,
    entriesOf(runHash) {
      return [...(runs.get(runHash) ?? [])].map(([id, entry]) => ({ id, version: entry.version }));
    },
    get(file) {
      return runs.get(file.runHash)?.get(file.id);
    },
    prune(listed, mark) {
      for (const [runHash, run] of runs)
        for (const [id, entry] of run) if (!listed.has(id) && entry.learnedAt < mark) forget({ id, runHash });
    },
  };
}
