/**
 * The consistency checker: compares, run by run, the head version and hash each tier holds, counts drift by
 * kind (consistency-drift.ts) and, when asked, repairs it (consistency-repair.ts). The newest durable copy
 * wins; a hot copy newer than the durable one is made durable first. Runs as the `consistency-check` job and
 * as `npm run strata -- check`.
 *
 * Repairs: hot_behind_durable and hot_hash_mismatch (the durable head becomes the hot head), index_behind
 * (the index is raised to the newest checkpoint), and hot_ahead_of_durable for completed runs only, or for
 * every run with `makeDurable`: a live run's hot-only head is what its plan chose, not damage.
 */
import type { ArchiveTier } from '../tiers/archive/port.ts';
import type { RunScan, ScannedRun } from '../tiers/durable/archive-queue-port.ts';
import type { FallbackStore } from '../tiers/fallback/port.ts';
import type { StoredVersion } from '../tiers/types.ts';
import { DRIFT_KINDS, type DriftKind, driftOf, REPORT_ONLY } from './consistency-drift.ts';
import { createRepairs, type RepairDeps, type Repairs } from './consistency-repair.ts';
import { type DeadLetterSummary, deadLetterSummary, spooledRuns } from './consistency-spool.ts';
import { inParallel, type LifecycleDeps } from './deps.ts';

export { DRIFT_KINDS, type DriftKind, REPORT_ONLY } from './consistency-drift.ts';

export interface ConsistencyDeps extends RepairDeps, Pick<LifecycleDeps, 'log'> {
  /** Without it archive_mismatch is not checked (`archiveChecked: false`). */
  readonly archive?: ArchiveTier;
  /** Without it spooled_pending and the dead letters are not checked. */
  readonly fallback?: FallbackStore;
}

export interface ConsistencyOptions {
  /** Fix what may be fixed (see the module comment). Without it the check only reads. */
  readonly repair: boolean;
  /** Also commit the hot head of LIVE runs durably (hot_ahead_of_durable). @default false (completed runs only) */
  readonly makeDurable?: boolean;
  /** Only runs whose index row changed at or after this, epoch ms. @default undefined (every run) */
  readonly updatedSince?: number;
  /** Stop after this many runs. @default undefined (no limit) */
  readonly limit?: number;
  /** Runs checked at once. @default 8 */
  readonly concurrency?: number;
  /** Drifts listed in the report's `samples`. @default 20 */
  readonly sampleSize?: number;
  /** Dead letters listed in the report's `deadLetters.first`. @default 5 */
  readonly deadLetterSamples?: number;
  /** After each run: runs done, and the runs the scan will visit (undefined when the count failed). */
  readonly onProgress?: (done: number, total?: number) => void;
}

export interface DriftSample {
  readonly kind: DriftKind;
  readonly tenantId: string;
  readonly runId: string;
  readonly detail: string;
  readonly repaired: boolean;
}

export interface ConsistencyReport {
  readonly scanned: number;
  readonly drift: Readonly<Record<DriftKind, number>>;
  readonly repaired: Readonly<Record<DriftKind, number>>;
  /** Runs whose check or repair failed (a tier did not answer); the scan went on without them. */
  readonly failures: number;
  /** The first `sampleSize` drifts found. */
  readonly samples: readonly DriftSample[];
  /** The first failure messages, naming their run. */
  readonly errors: readonly string[];
  readonly archiveChecked: boolean;
  /**
   * Spooled writes the drain set aside because Postgres refused them (or an earlier version of their run);
   * they wait for an operator. Null when not checked (no fallback store, or it failed: see `errors`).
   */
  readonly deadLetters: DeadLetterSummary | null;
}

const PAGE = 200;
const MAX_ERRORS = 10;

export async function checkConsistency(
  deps: ConsistencyDeps,
  options: ConsistencyOptions,
): Promise<ConsistencyReport> {
  const drift = zeroes();
  const repaired = zeroes();
  const samples: DriftSample[] = [];
  const errors: string[] = [];
  const sampleSize = options.sampleSize ?? 20;
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  const repairs = createRepairs(deps);
  let scanned = 0;
  let failures = 0;
  const fail = (where: string, error: unknown) => {
    failures++;
    if (errors.length < MAX_ERRORS)
      errors.push(`${where}: ${error instanceof Error ? error.message : error}`);
  };
  const record = (
    kind: DriftKind,
    run: { tenantId: string; runId: string },
    detail: string,
    fixed: boolean,
  ) => {
    drift[kind]++;
    if (fixed) repaired[kind]++;
    if (samples.length < sampleSize)
      samples.push({ kind, tenantId: run.tenantId, runId: run.runId, detail, repaired: fixed });
  };

  // The spool is read whole, once: it is empty unless Postgres was down, and its runs need not be in the scan.
  let deadLetters: DeadLetterSummary | null = null;
  if (deps.fallback) {
    try {
      for (const run of await spooledRuns(deps.fallback))
        record('spooled_pending', run, `${run.writes} spooled write(s), newest v${run.newest}`, false);
      deadLetters = await deadLetterSummary(deps.fallback, options.deadLetterSamples ?? 5);
    } catch (error) {
      fail('fallback', error);
    }
  }

  const total = options.onProgress ? await countOrUndefined(deps.runScan, options, limit) : undefined;
  const checkRun = async (run: ScannedRun) => {
    try {
      const seen = await observe(deps, run);
      for (const found of driftOf(run, seen)) {
        const fixed =
          shouldRepair(found.kind, run, options) && (await repair(repairs, found.kind, run, seen.hot));
        record(found.kind, run, found.detail, fixed);
      }
      if (seen.failed) throw seen.failed;
    } catch (error) {
      fail(`${run.tenantId}/${run.runId}`, error);
    }
    scanned++;
    options.onProgress?.(scanned, total);
  };

  let after: ScannedRun | undefined;
  while (scanned < limit) {
    // A failing scan stops the check (the job answers 503 and is retried): there is nothing left to compare.
    const page = await deps.runScan.scanRuns({
      limit: Math.min(PAGE, limit - scanned),
      ...(after && { after }),
      ...(options.updatedSince !== undefined && { updatedSince: options.updatedSince }),
    });
    await inParallel(page, options.concurrency ?? 8, checkRun);
    after = page.at(-1);
    if (page.length < PAGE) break;
  }

  const report = {
    scanned,
    drift,
    repaired,
    failures,
    samples,
    errors,
    archiveChecked: deps.archive !== undefined,
    deadLetters,
  };
  const found = Object.values(drift).reduce((sum, n) => sum + n, 0);
  if (found > 0 || failures > 0 || (deadLetters?.count ?? 0) > 0)
    deps.log.info(
      { ...report, samples: samples.length, deadLetters: deadLetters?.count ?? null },
      'consistency checked',
    );
  return report;
}

/** What the hot tier and the archive hold; a tier that fails leaves its part undefined (its drift unjudged). */
async function observe(deps: ConsistencyDeps, run: ScannedRun) {
  const archive = run.archivedAt !== null ? deps.archive : undefined;
  const [hot, archived] = await Promise.allSettled([
    deps.hot.load(run),
    archive ? archive.getRun(run) : Promise.resolve(undefined),
  ]);
  return {
    hot: hot.status === 'fulfilled' ? hot.value : undefined,
    archived: archived.status === 'fulfilled' ? archived.value : undefined,
    failed: hot.status === 'rejected' ? hot.reason : archived.status === 'rejected' ? archived.reason : null,
  };
}

function shouldRepair(kind: DriftKind, run: ScannedRun, options: ConsistencyOptions): boolean {
  if (!options.repair || REPORT_ONLY.has(kind)) return false;
  if (kind === 'hot_ahead_of_durable') return run.completedAt !== null || options.makeDurable === true;
  return true;
}

function repair(repairs: Repairs, kind: DriftKind, run: ScannedRun, hot: StoredVersion | null | undefined) {
  if (kind === 'index_behind') return repairs.indexFromCheckpoints(run);
  if (!hot) return Promise.resolve(false);
  return kind === 'hot_ahead_of_durable'
    ? repairs.durableFromHot(run, hot)
    : repairs.hotFromDurable(run, hot);
}

async function countOrUndefined(scan: RunScan, options: ConsistencyOptions, limit: number) {
  try {
    const count = await scan.countRuns(
      options.updatedSince === undefined ? {} : { updatedSince: options.updatedSince },
    );
    return Math.min(count, limit);
  } catch {
    return undefined; // the bar shows no total; the scan itself will say whether the durable tier answers
  }
}

const zeroes = () => Object.fromEntries(DRIFT_KINDS.map((kind) => [kind, 0])) as Record<DriftKind, number>;

/** The scheduled `consistency-check`: repairs on, over the runs whose index row changed in the last `windowMs`. */
export function consistencyCheckJob(
  settings: {
    /** How far back the scan looks; schedule the job at least this often so no change goes unchecked. @default one day */
    readonly windowMs?: number;
    /** Runs per invocation, so one stays within a function's time limit. @default 50000 */
    readonly limit?: number;
  } = {},
): (deps: LifecycleDeps) => Promise<ConsistencyReport> {
  const windowMs = settings.windowMs ?? 86_400_000;
  return (deps) =>
    checkConsistency(deps, {
      repair: true,
      updatedSince: deps.now() - windowMs,
      limit: settings.limit ?? 50_000,
    });
}
