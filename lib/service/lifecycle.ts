/** Ending a run (complete) and removing one (delete). */
import { NotFound } from '../errors.ts';
import type { CompleteRequest } from '../model/state.ts';
import type { RunKey, RunSummary } from '../tiers/types.ts';
import type { Caller, ServiceDeps } from './deps.ts';
import { readHead, tryHot } from './read-path.ts';
import { runFieldsOf, stateOf } from './versions.ts';

/**
 * Record the final status, cost and tokens. The head is made durable first (whatever the plan), because the
 * archiver takes completed runs from the durable tier.
 */
export async function completeRun(
  deps: ServiceDeps,
  caller: Caller,
  input: { readonly runId: string; readonly request: CompleteRequest },
): Promise<RunSummary> {
  const key: RunKey = { tenantId: caller.tenant.id, runId: input.runId };
  const head = await readHead(deps, caller, key);
  if (!head) throw new NotFound(`run "${input.runId}" was not found`);
  const state = stateOf(head.record);
  const run = await deps.durable.getRun(key);
  if (!run || run.durableVersion < head.record.version) {
    const committed = await deps.durable.commit(key, head.record, {
      run: { ...runFieldsOf(state), status: input.request.status },
    });
    if (committed.status === 'conflict') {
      deps.log.warn(
        { runId: key.runId, currentVersion: committed.currentVersion },
        'completing an older head',
      );
    }
  }
  const metadata = { ...state.metadata, ...input.request.metadata };
  const summary = await deps.durable.complete(key, {
    status: input.request.status,
    completedAt: deps.now(),
    model: metadata.model ?? null,
    inputTokens: metadata.inputTokens ?? 0,
    outputTokens: metadata.outputTokens ?? 0,
    costUsd: metadata.costUsd ?? 0,
  });
  if (!summary) throw new NotFound(`run "${input.runId}" was not found`);
  return summary;
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
