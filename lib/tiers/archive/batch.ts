/**
 * Turns an ArchiveBatch into inserts whose deduplication tokens are the same on every attempt: rows are
 * validated, sorted by a locale-free order, cut into chunks by rows and bytes of the batch AS GIVEN, and each
 * chunk's token names the batch (its id and a digest of what it holds), the table and the chunk index.
 */
import { createHash } from 'node:crypto';
import { InvalidRequest } from '../../errors.ts';
import { sha256Hex } from '../../model/canonical.ts';
import { decodePayload } from '../../model/codec.ts';
import { rebuildVersions } from '../chain.ts';
import type { ArchiveBatch, ArchivedCheckpoint, ArchivedRun } from './port.ts';

export interface PreparedCheckpoint {
  readonly checkpoint: ArchivedCheckpoint;
  /** The decoded canonical JSON: what the archive stores and hands back. */
  readonly canonical: string;
}

export interface PreparedBatch {
  readonly batchId: string;
  /**
   * sha256 of the id and of every row's identity. In every token, so that an id reused for OTHER content
   * (a bug in the caller) is written, not silently dropped as a "retry" of the first batch.
   */
  readonly digest: string;
  readonly runs: readonly ArchivedRun[];
  readonly checkpoints: readonly PreparedCheckpoint[];
}

export interface ChunkLimits {
  readonly rows: number;
  readonly bytes: number;
}

/** Upper bounds of one INSERT. Changing them changes chunk composition: keep them fixed across a retry. */
export const CHUNK_LIMITS: ChunkLimits = { rows: 10_000, bytes: 16 * 1024 * 1024 };
/** DateTime (the TTL's type) ends in 2106; later retention could not be stored. */
const MAX_TIME_MS = 4_294_967_295_000;
const CHECKPOINT_TYPES = new Set(['AUTO', 'CRITICAL', 'FULL']);

type Keyed = { readonly tenantId: string; readonly runId: string };
/** One string per run, for sets: JSON keeps ("a:b", "c") and ("a", "b:c") apart. */
export const runKeyOf = (r: Keyed) => JSON.stringify([r.tenantId, r.runId]);
/** Code-unit order, not localeCompare: the same on every machine, so chunks are the same on every attempt. */
const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const compareRuns = (a: Keyed, b: Keyed) => compare(a.tenantId, b.tenantId) || compare(a.runId, b.runId);

export function prepareBatch(batch: ArchiveBatch): PreparedBatch {
  const issues: Record<string, string[]> = {};
  const fail = (path: string, why: string) => {
    issues[path] = [...(issues[path] ?? []), why];
  };
  if (typeof batch.batchId !== 'string' || batch.batchId.length === 0 || batch.batchId.length > 256)
    fail('batchId', 'a non-empty string of at most 256 characters');
  const runIds = new Set<string>();
  batch.runs.forEach((run, i) => {
    checkRun(run, (why) => fail(`runs.${i}`, why));
    if (runIds.has(runKeyOf(run))) fail(`runs.${i}`, `run ${run.runId} appears twice`);
    runIds.add(runKeyOf(run));
  });
  const versions = new Set<string>();
  const checkpoints = batch.checkpoints.map((cp, i): PreparedCheckpoint => {
    const path = `checkpoints.${i}`;
    if (!runIds.has(runKeyOf(cp))) fail(path, `run ${cp.runId} is not in the batch`);
    const id = JSON.stringify([cp.tenantId, cp.runId, cp.version]);
    if (versions.has(id)) fail(path, `version ${cp.version} of run ${cp.runId} appears twice`);
    versions.add(id);
    return { checkpoint: cp, canonical: checkCheckpoint(cp, (why) => fail(path, why)) };
  });
  const runs = [...batch.runs].sort(compareRuns);
  checkpoints.sort(
    (a, b) => compareRuns(a.checkpoint, b.checkpoint) || a.checkpoint.version - b.checkpoint.version,
  );
  checkChains(checkpoints, fail);
  if (Object.keys(issues).length > 0) throw new InvalidRequest('the archive batch is malformed', issues);

  const identity = JSON.stringify([
    batch.batchId,
    runs.map((r) => [r.tenantId, r.runId, r.headVersion, r.headHash]),
    checkpoints.map(({ checkpoint: c }) => [c.tenantId, c.runId, c.version, c.hash]),
  ]);
  return { batchId: batch.batchId, digest: sha256Hex(identity), runs, checkpoints };
}

/** Consecutive chunks of at most `rows` items and (unless one item alone is larger) `bytes` bytes. */
export function chunk<T>(
  items: readonly T[],
  bytesOf: (item: T) => number,
  limits: ChunkLimits = CHUNK_LIMITS,
): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = bytesOf(item);
    if (current.length > 0 && (current.length >= limits.rows || bytes + size > limits.bytes)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/** The insert_deduplication_token of one chunk of one table. */
export function dedupToken(batch: PreparedBatch, table: string, index: number): string {
  return `strata:${table}:${index}:${batch.digest}`;
}

/** A token for an insert that is not part of a batch (the negation of a delete), from its identity. */
export function tokenOf(kind: string, identity: unknown): string {
  return `strata:${kind}:${createHash('sha256').update(JSON.stringify(identity)).digest('hex')}`;
}

// Only what the archive cannot store faithfully is refused: a batch refused here is refused on every retry,
// so anything the state API accepts (an empty model, a run with no checkpoint and no head hash) must pass.
const isId = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 512;
const isString = (v: unknown): v is string => typeof v === 'string' && v.length <= 512;
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const isTime = (v: unknown): v is number => isCount(v) && (v as number) <= MAX_TIME_MS;

function checkRun(run: ArchivedRun, fail: (why: string) => void): void {
  if (!isId(run.tenantId) || !isId(run.runId) || !isId(run.agentName))
    fail('tenantId, runId and agentName are non-empty strings');
  if (![run.parentRunId, run.threadId, run.userId, run.model].every((v) => v === null || isString(v)))
    fail('parentRunId, threadId, userId and model are strings or null');
  if (run.status !== 'completed' && run.status !== 'failed') fail('status is completed or failed');
  if (!isCount(run.inputTokens) || !isCount(run.outputTokens)) fail('token counts are integers >= 0');
  // Decimal(38, 9) holds far more; below 1e15 the double still has its cents, and toFixed no exponent.
  if (!Number.isFinite(run.costUsd) || run.costUsd < 0 || run.costUsd > 1e15) fail('costUsd is in [0, 1e15]');
  if (![run.createdAt, run.completedAt, run.archivedAt, run.retainUntil].every(isTime))
    fail('times are epoch milliseconds between 1970 and 2106');
  if (!isCount(run.headVersion) || !isString(run.headHash)) fail('headVersion and headHash are required');
}

/** Returns the canonical JSON (empty when invalid) after checking it against the checkpoint's hash. */
function checkCheckpoint(cp: ArchivedCheckpoint, fail: (why: string) => void): string {
  if (!isCount(cp.version) || cp.version === 0) fail('version is an integer >= 1');
  if (!CHECKPOINT_TYPES.has(cp.checkpoint)) fail('checkpoint is AUTO, CRITICAL or FULL');
  if (!isCount(cp.sizeBytes) || !isTime(cp.savedAt)) fail('sizeBytes and savedAt are integers >= 0');
  if (cp.encoding !== 'json' && cp.encoding !== 'gzip-base64') {
    fail('encoding is json or gzip-base64');
    return '';
  }
  if (cp.format !== undefined && cp.format !== 'state' && cp.format !== 'patch')
    fail('format is state or patch');
  let canonical = '';
  try {
    canonical = decodePayload(cp);
  } catch {
    fail(`the payload does not decode as ${cp.encoding}`);
    return '';
  }
  // The archive is the last copy once retention has run: it refuses to store a payload its hash disowns.
  // A patch's hash is its rebuilt state's: checkChains verifies it.
  if (cp.format !== 'patch' && sha256Hex(canonical) !== cp.hash)
    fail('hash is not the sha256 of the decoded payload');
  return canonical;
}

/**
 * Every patch must rebuild, with the versions before it in the batch, into the state its hash names. Each
 * chain's newest version is rebuilt and checked (one canonical serialisation per chain, not per version): a
 * missing, reordered or damaged link anywhere before it changes that state. `checkpoints` are sorted by run, then
 * version.
 */
function checkChains(checkpoints: readonly PreparedCheckpoint[], fail: (path: string, why: string) => void) {
  let start = 0;
  for (let i = 0; i <= checkpoints.length; i++) {
    const run = checkpoints[start]?.checkpoint;
    const here = checkpoints[i]?.checkpoint;
    if (i < checkpoints.length && run && here && compareRuns(run, here) === 0) continue;
    const rows = checkpoints.slice(start, i);
    start = i;
    if (!rows.some((row) => row.checkpoint.format === 'patch')) continue;
    // The last link of each chain: the version before a whole state, and the run's newest.
    const ends = new Set(
      rows
        .filter((row, k) => row.checkpoint.format === 'patch' && rows[k + 1]?.checkpoint.format !== 'patch')
        .map((row) => row.checkpoint.version),
    );
    const records = rows.map(({ checkpoint, canonical }) => ({
      ...checkpoint,
      encoding: 'json' as const,
      payload: canonical,
    }));
    try {
      rebuildVersions(records, (version) => ends.has(version));
    } catch (error) {
      fail(
        `checkpoints of run ${rows[0]!.checkpoint.runId}`,
        error instanceof Error ? error.message : String(error),
      );
    }
  }
}
