/**
 * A run's states in one call: the newest N (paged by `before`) or a range of versions, each with its hash, so an
 * agent resuming or a UI showing history does not ask once per version. One durable statement reads them all;
 * the hot head joins when it is newer than anything durable (an AUTO save); an archived run is read from the
 * archive, which keeps every checkpoint's state.
 */
import { NotFound } from '../errors.ts';
import type { RunKey, StoredVersion } from '../tiers/types.ts';
import type { Caller, ServiceDeps } from './deps.ts';
import { tryHot } from './read-path.ts';
import { stateJsonOf } from './versions.ts';

export interface StateEntry {
  readonly version: number;
  readonly hash: string;
  readonly checkpoint: StoredVersion['checkpoint'];
  readonly savedAt: number;
  /** False for the hot head when it is newer than anything in the durable tier. */
  readonly durable: boolean;
  /** The state's canonical JSON (sha256 of it is `hash`). */
  readonly stateJson: string;
}

export interface StatesPage {
  readonly runId: string;
  readonly states: readonly StateEntry[];
  /** Pass as `before` for the next (older) page; null on the last page. */
  readonly nextBefore: number | null;
}

export interface StatesQuery {
  readonly runId: string;
  /** 1..500 */
  readonly limit: number;
  readonly before?: number;
  readonly from?: number;
  readonly to?: number;
}

export async function listStates(deps: ServiceDeps, caller: Caller, input: StatesQuery): Promise<StatesPage> {
  const key: RunKey = { tenantId: caller.tenant.id, runId: input.runId };
  const page = {
    limit: input.limit + 1,
    ...(input.before !== undefined && { beforeVersion: input.before }),
    ...(input.from !== undefined && { fromVersion: input.from }),
    ...(input.to !== undefined && { toVersion: input.to }),
  };
  const [hot, fromDurable] = await Promise.all([tryHot(deps, key), deps.durable.loadVersions(key, page)]);
  const records = fromDurable.length === 0 ? await fromArchive(deps, key, input) : fromDurable;
  const entries = records.map((record) => entry(record, true));
  const wanted = (v: number) =>
    (input.before === undefined || v < input.before) &&
    (input.from === undefined || v >= input.from) &&
    (input.to === undefined || v <= input.to);
  if (hot && hot.version > (records[0]?.version ?? 0) && wanted(hot.version))
    entries.unshift(entry(hot, false));
  if (entries.length === 0 && !(await runExists(deps, key)))
    throw new NotFound(`run "${input.runId}" was not found`);
  const states = entries.slice(0, input.limit);
  const more = entries.length > input.limit;
  return { runId: input.runId, states, nextBefore: more ? (states.at(-1)?.version ?? null) : null };
}

function entry(record: StoredVersion, durable: boolean): StateEntry {
  const { version, hash, checkpoint, savedAt } = record;
  return { version, hash, checkpoint, savedAt, durable, stateJson: stateJsonOf(record) };
}

/** Once retention has emptied the durable copy of an archived run: its checkpoints, then each state. */
async function fromArchive(deps: ServiceDeps, key: RunKey, input: StatesQuery): Promise<StoredVersion[]> {
  const archive = deps.archive;
  if (!archive) return [];
  const listed = await archive.listCheckpoints(key, {
    limit: 1000,
    ...(input.before !== undefined && { beforeVersion: input.before }),
  });
  const inRange = listed
    .filter(
      (c) =>
        (input.from === undefined || c.version >= input.from) &&
        (input.to === undefined || c.version <= input.to),
    )
    .slice(0, input.limit + 1);
  const loaded = await Promise.all(inRange.map((c) => archive.loadVersion(key, c.version)));
  return loaded.filter((r): r is StoredVersion => r !== null);
}

async function runExists(deps: ServiceDeps, key: RunKey): Promise<boolean> {
  if ((await deps.durable.getRun(key)) !== null) return true;
  return deps.archive !== undefined && (await deps.archive.getRun(key)) !== null;
}
