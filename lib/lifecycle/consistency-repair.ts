/**
 * The repairs the consistency checker makes. None moves data backwards: the hot tier is only ever given the
 * durable head, through writes that refuse to replace a newer head; the durable tier only gains checkpoints
 * and index versions; nothing durable is deleted.
 */
import * as v from 'valibot';
import { DeepAgentStateSchema } from '../model/state.ts';
import { PLANS } from '../plans.ts';
import { runFieldsOf, stateOf } from '../service/versions.ts';
import type { RunScan } from '../tiers/durable/archive-queue-port.ts';
import type { DurableTier, RunFields, TenantDirectory } from '../tiers/durable/port.ts';
import type { HotTier } from '../tiers/hot/port.ts';
import type { RunKey, StoredVersion } from '../tiers/types.ts';

export interface RepairDeps {
  readonly hot: HotTier;
  readonly durable: DurableTier & TenantDirectory;
  readonly runScan: RunScan;
}

export interface Repairs {
  /** hot_behind_durable, hot_hash_mismatch: the durable head replaces `seen`, the hot head judged stale. */
  hotFromDurable(key: RunKey, seen: StoredVersion): Promise<boolean>;
  /** hot_ahead_of_durable: the hot head is committed durably (no requireHead: the durable head moves to max). */
  durableFromHot(key: RunKey, head: StoredVersion): Promise<boolean>;
  /** index_behind: runs.durable_version is raised to the newest checkpoint. */
  indexFromCheckpoints(key: RunKey): Promise<boolean>;
}

/** Each call resolves to whether it changed anything: false when a concurrent save already moved on. */
export function createRepairs(deps: RepairDeps): Repairs {
  // One tenant lookup per check, however many of its runs need a hot copy.
  const ttls = new Map<string, Promise<number>>();
  const hotTtlOf = (tenantId: string) => {
    let ttl = ttls.get(tenantId);
    if (!ttl) {
      ttl = deps.durable.getTenant(tenantId).then((t) => PLANS[t?.plan ?? 'free'].hotTtlSeconds);
      // A failed lookup is not remembered: the next run of the tenant asks again.
      ttl.catch(() => ttls.delete(tenantId));
      ttls.set(tenantId, ttl);
    }
    return ttl;
  };

  return {
    async hotFromDurable(key, seen) {
      const head = await deps.durable.loadLatest(key);
      if (!head || head.version < seen.version) return false;
      // Same version, other content: promote would keep it (it only replaces an OLDER head), so the judged
      // copy goes first. Not `delete`: revert drops the head only if it is still exactly `seen` (one atomic
      // compare), so a save that landed since is kept. It may restore the head `seen` replaced (kept for
      // `revert`), which is older still, and promote replaces it next.
      if (head.version === seen.version && head.hash !== seen.hash)
        await deps.hot.revert(key, seen.version, seen.hash);
      return deps.hot.promote(key, head, await hotTtlOf(key.tenantId));
    },

    async durableFromHot(key, head) {
      // An acknowledged hot head of a completed run (saved before it was sealed) is still owed to the durable tier.
      const outcome = await deps.durable.commit(key, head, {
        run: await fieldsOf(deps.durable, key, head),
        intoCompletedRun: true,
      });
      // 'conflict': another checkpoint holds this version; the next check sees it as hot_hash_mismatch.
      return outcome.status === 'committed';
    },

    indexFromCheckpoints: (key) => deps.runScan.raiseDurableVersion(key),
  };
}

/** The index fields as a durable save would write them: from the state, else (not a state we know) as they are. */
async function fieldsOf(durable: DurableTier, key: RunKey, head: StoredVersion): Promise<RunFields> {
  const state = parsed(head);
  if (state) return runFieldsOf(state);
  const run = await durable.getRun(key);
  if (!run) throw new Error(`run "${key.runId}" of tenant "${key.tenantId}" left the index during the check`);
  const { agentName, parentRunId, threadId, userId, status } = run;
  return { agentName, parentRunId, threadId, userId, status };
}

function parsed(head: StoredVersion) {
  try {
    const state = stateOf(head);
    return v.is(DeepAgentStateSchema, state) ? state : null;
  } catch {
    return null;
  }
}
