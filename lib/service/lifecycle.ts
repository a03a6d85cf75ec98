/** Ending a run (complete) and removing one (delete). */
import { CompletionConflict, NotFound } from '../errors.ts';
import type { CompleteRequest } from '../model/state.ts';
import { SEAL_TTL_SECONDS } from '../plans.ts';
import type { Completion } from '../tiers/durable/port.ts';
import type { RunKey, RunSummary } from '../tiers/types.ts';
import type { Caller, ServiceDeps } from './deps.ts';
import { readHead, tryHot } from './read-path.ts';
import { runFieldsOf, stateOf } from './versions.ts';

/** The run's index row and the outcome `complete` recorded for it. */
export interface CompletedRun extends RunSummary {
  readonly completion: Completion;
}

/**
 * Record the final status, cost and tokens — once. The head is made durable first (whatever the plan),
 * because the archiver takes completed runs from the durable tier. The same `complete` again answers the
 * first outcome; another outcome is refused (409) with the one recorded; after it the run takes no saves.
 */
export async function completeRun(
  deps: ServiceDeps,
  caller: Caller,
  input: { readonly runId: string; readonly request: CompleteRequest },
): Promise<CompletedRun> {
  const key: RunKey = { tenantId: caller.tenant.id, runId: input.runId };
  const head = await readHead(deps, caller, key);
  if (!head) throw new NotFound(`run "${input.runId}" was not found`);
  const state = stateOf(head.record);
  const run = await deps.durable.getRun(key);
  if (!run || run.durableVersion < head.record.version) {
    // 'sealed' here means another complete got in first; its outcome is read below.
    await deps.durable.commit(key, head.record, {
      run: { ...runFieldsOf(state), status: input.request.status },
    });
  }
  const metadata = { ...state.metadata, ...input.request.metadata };
  const requested: Completion = {
    status: input.request.status,
    completedAt: deps.now(),
    model: metadata.model ?? null,
    inputTokens: metadata.inputTokens ?? 0,
    outputTokens: metadata.outputTokens ?? 0,
    costUsd: metadata.costUsd ?? 0,
  };
  const outcome = await deps.durable.complete(key, requested);
  if (!outcome) throw new NotFound(`run "${input.runId}" was not found`);
  if (!outcome.first && !sameOutcome(outcome.recorded, requested))
    throw new CompletionConflict(input.runId, outcome.recorded);
  // The durable index refuses later saves by itself; the seal makes the hot tier refuse them too (a hot-only
  // save never reaches Postgres). A retry of this complete seals again.
  await deps.hot.seal(key, SEAL_TTL_SECONDS).catch((error: unknown) => {
    deps.log.warn({ err: error, runId: key.runId }, 'completed run not sealed in the hot tier yet');
  });
  return { ...outcome.run, completion: outcome.recorded };
}

function sameOutcome(a: Completion, b: Completion): boolean {
  return (
    a.status === b.status &&
    a.model === b.model &&
    a.inputTokens === b.inputTokens &&
    a.outputTokens === b.outputTokens &&
    a.costUsd === b.costUsd
  );
}

/** Remove a run from every tier. A run that no tier holds answers NotFound. */
export async function deleteRun(
  deps: ServiceDeps,
  caller: Caller,
  input: { readonly runId: string },
): Promise<void> {
  const key: RunKey = { tenantId: caller.tenant.id, runId: input.runId };
  const hotCopy = await tryHot(deps, key);
  const [, hadDurable, hadArchived, spooled] = await Promise.all([
    deps.hot.delete(key),
    deps.durable.deleteRun(key),
    deps.archive?.deleteRun(key) ?? false,
    deps.fallback?.removeRun(key) ?? 0,
  ]);
  if (!hotCopy && !hadDurable && !hadArchived && spooled === 0)
    throw new NotFound(`run "${input.runId}" was not found`);
}
