/** A run's history: listing its checkpoints, and restoring an earlier version as the new head (time travel). */
import { NotFound } from '../errors.ts';
import type { RestoreRequest } from '../model/state.ts';
import type { CheckpointSummary } from '../tiers/durable/port.ts';
import type { RunKey, SaveReceipt } from '../tiers/types.ts';
import type { Caller, ServiceDeps } from './deps.ts';
import { readVersion, tryHot } from './read-path.ts';
import { fingerprintOf, resolveExpectedVersion, writeVersion } from './save.ts';
import { stateOf } from './versions.ts';

export interface CheckpointEntry extends CheckpointSummary {
  /** False for the hot head when it is newer than anything in the durable tier. */
  readonly durable: boolean;
}

export interface CheckpointPage {
  readonly runId: string;
  readonly checkpoints: readonly CheckpointEntry[];
  /** Pass as `before` for the next (older) page; null on the last page. */
  readonly nextBefore: number | null;
}

export async function listCheckpoints(
  deps: ServiceDeps,
  caller: Caller,
  input: { readonly runId: string; readonly limit: number; readonly before?: number },
): Promise<CheckpointPage> {
  const key: RunKey = { tenantId: caller.tenant.id, runId: input.runId };
  const query = {
    limit: input.limit + 1,
    ...(input.before !== undefined && { beforeVersion: input.before }),
  };
  const [hot, fromDurable] = await Promise.all([tryHot(deps, key), deps.durable.listCheckpoints(key, query)]);
  // Once retention has emptied the durable copy of an archived run, its history is in the archive.
  const durable =
    fromDurable.length === 0 && deps.archive ? await deps.archive.listCheckpoints(key, query) : fromDurable;
  const entries: CheckpointEntry[] = durable.map((summary) => ({ ...summary, durable: true }));
  // The hot head may be ahead of the durable tier (AUTO saves); history should show it too.
  const newestDurable = entries[0]?.version ?? 0;
  if (hot && hot.version > newestDurable && (input.before === undefined || hot.version < input.before)) {
    const { version, hash, checkpoint, sizeBytes, savedAt } = hot;
    entries.unshift({ version, hash, checkpoint, sizeBytes, savedAt, durable: false });
  }
  if (entries.length === 0) {
    const exists =
      input.before !== undefined ||
      (await deps.durable.getRun(key)) !== null ||
      (deps.archive !== undefined && (await deps.archive.getRun(key)) !== null);
    if (!exists) throw new NotFound(`run "${input.runId}" was not found`);
  }
  const page = entries.slice(0, input.limit);
  const more = entries.length > input.limit;
  return { runId: input.runId, checkpoints: page, nextBefore: more ? (page.at(-1)?.version ?? null) : null };
}

export async function restoreVersion(
  deps: ServiceDeps,
  caller: Caller,
  input: {
    readonly runId: string;
    readonly request: RestoreRequest;
    readonly ifMatch?: number;
    readonly idempotencyKey?: string;
  },
): Promise<SaveReceipt> {
  const key: RunKey = { tenantId: caller.tenant.id, runId: input.runId };
  // The same rule as a save: a restore names the head it replaces, so it cannot undo a save it never saw.
  const expectedVersion = resolveExpectedVersion(input.request.expectedVersion, input.ifMatch);
  const target = await readVersion(deps, key, input.request.version);
  if (!target) throw new NotFound(`version ${input.request.version} of run "${input.runId}" was not found`);
  return writeVersion(deps, caller, key, {
    state: stateOf(target.record),
    // A restore is a complete snapshot the caller chose deliberately: keep it like a FULL checkpoint.
    checkpoint: 'FULL',
    expectedVersion,
    ...(input.idempotencyKey !== undefined && {
      idempotencyKey: input.idempotencyKey,
      fingerprint: fingerprintOf('restore', input.runId, {
        ...input.request,
        ifMatch: input.ifMatch ?? null,
      }),
    }),
  });
}
