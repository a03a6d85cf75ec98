/**
 * The kinds of drift between tiers and how one run is classified: a pure function of what each tier holds, so
 * the rules can be read (and tested) apart from the I/O of the checker.
 */
import type { ArchivedRun } from '../tiers/archive/port.ts';
import type { ScannedRun } from '../tiers/durable/archive-queue-port.ts';
import type { StoredVersion } from '../tiers/types.ts';

/** Stable names: they appear in reports, logs and alerts. */
export const DRIFT_KINDS = [
  /** The hot head is older than the newest durable checkpoint: saves made while Redis was down. */
  'hot_behind_durable',
  /** Hot and durable hold the same version with different content. The durable copy wins. */
  'hot_hash_mismatch',
  /** The hot head is newer than the durable head. Expected for hot-only (AUTO) saves of live runs. */
  'hot_ahead_of_durable',
  /** runs.durable_version is below the newest checkpoint: listing and the save path see an old head. */
  'index_behind',
  /** runs.durable_version names a checkpoint that is not stored (and the archive does not hold it either). */
  'index_ahead',
  /** An archived run whose archive head differs from the head its batch froze, or that the archive lacks. */
  'archive_mismatch',
  /** The fallback spool holds writes of the run: the drain has yet to replay them. */
  'spooled_pending',
] as const;

export type DriftKind = (typeof DRIFT_KINDS)[number];

/**
 * Kinds the checker never repairs. index_ahead: lowering the index would let a version number be used twice
 * (a hot copy may still hold it; a hot_ahead repair restores the checkpoint from there). archive_mismatch:
 * the archive is written once per batch and never rewritten. spooled_pending: the drain replays in spool order.
 */
export const REPORT_ONLY: ReadonlySet<DriftKind> = new Set([
  'index_ahead',
  'archive_mismatch',
  'spooled_pending',
]);

export interface Drift {
  readonly kind: DriftKind;
  /** What was seen, for a person: "hot v2, durable v3". */
  readonly detail: string;
}

/** What the other tiers hold for a scanned run. `undefined`: not asked, or the tier did not answer. */
export interface Observed {
  readonly hot: StoredVersion | null | undefined;
  readonly archived: ArchivedRun | null | undefined;
}

export function driftOf(run: ScannedRun, seen: Observed): Drift[] {
  const found: Drift[] = [];
  const hot = hotDrift(run, seen.hot);
  if (hot) found.push(hot);
  const index = indexDrift(run);
  if (index) found.push(index);
  if (run.archivedAt !== null && seen.archived !== undefined) {
    const archive = archiveDrift(run, seen.archived);
    if (archive) found.push(archive);
  }
  return found;
}

function hotDrift(run: ScannedRun, hot: StoredVersion | null | undefined): Drift | null {
  // No hot copy is never drift: TTL expiry, or the purge after archival. An archived run whose checkpoints
  // retention removed has no durable head to compare with; its hot copy goes with the next purge.
  if (!hot || (run.head === null && run.archivedAt !== null)) return null;
  const durable = run.head?.version ?? 0;
  const seen = `hot v${hot.version}, durable v${durable}`;
  if (hot.version < durable) return { kind: 'hot_behind_durable', detail: seen };
  if (hot.version > durable) return { kind: 'hot_ahead_of_durable', detail: seen };
  if (run.head && hot.hash !== run.head.hash) {
    return {
      kind: 'hot_hash_mismatch',
      detail: `v${hot.version}: hot ${short(hot.hash)}, durable ${short(run.head.hash)}`,
    };
  }
  return null;
}

function indexDrift(run: ScannedRun): Drift | null {
  const newest = run.head?.version ?? 0;
  const seen = `index v${run.durableVersion}, newest checkpoint v${newest}`;
  if (run.durableVersion < newest) return { kind: 'index_behind', detail: seen };
  // Retention may remove every checkpoint of an archived run: the archive then holds the index's version.
  const archiveHolds = run.archivedAt !== null && (run.archiveHead?.version ?? 0) >= run.durableVersion;
  if (run.durableVersion > newest && !archiveHolds) return { kind: 'index_ahead', detail: seen };
  return null;
}

function archiveDrift(run: ScannedRun, archived: ArchivedRun | null): Drift | null {
  const expected = run.archiveHead ?? run.head;
  if (!archived) return { kind: 'archive_mismatch', detail: 'the archive does not hold the run' };
  if (!expected) return null;
  const versionDiffers = archived.headVersion !== expected.version;
  // The batch head's hash is unknown once retention removed that checkpoint: the version must do.
  const hashDiffers = expected.hash !== null && archived.headHash !== expected.hash;
  if (!versionDiffers && !hashDiffers) return null;
  return {
    kind: 'archive_mismatch',
    detail: `archive v${archived.headVersion} ${short(archived.headHash)}, batch v${expected.version} ${short(expected.hash)}`,
  };
}

const short = (hash: string | null) => (hash ? hash.slice(0, 8) : '?');
