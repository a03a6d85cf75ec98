/**
 * The read path: hot → durable (→ archive → fallback in later tiers). A tier that is unavailable is skipped;
 * a version found below the hot tier is promoted back up so the next read is fast.
 */
import { TierUnavailable } from '../errors.ts';
import { PLANS } from '../plans.ts';
import type { RunKey, StoredVersion } from '../tiers/types.ts';
import type { Caller, ServiceDeps } from './deps.ts';

export type ServedBy = 'hot' | 'durable' | 'archive' | 'fallback';

export interface Found {
  readonly record: StoredVersion;
  readonly servedBy: ServedBy;
}

/** The hot head, or null when the hot tier has none or cannot answer (which is logged, not thrown). */
export async function tryHot(deps: ServiceDeps, key: RunKey): Promise<StoredVersion | null> {
  try {
    return await deps.hot.load(key);
  } catch (error) {
    if (!(error instanceof TierUnavailable)) throw error;
    deps.log.warn({ err: error, tier: 'hot' }, 'hot tier unavailable on read; failing over');
    return null;
  }
}

/** The newest version of a run from the first tier that has it. */
export async function readHead(deps: ServiceDeps, caller: Caller, key: RunKey): Promise<Found | null> {
  const hot = await tryHot(deps, key);
  if (hot) return { record: hot, servedBy: 'hot' };
  const durable = await deps.durable.loadLatest(key);
  if (durable) {
    promote(deps, caller, key, durable);
    return { record: durable, servedBy: 'durable' };
  }
  return null;
}

/** One version of a run. The hot tier holds only the head, so older versions come from below. */
export async function readVersion(deps: ServiceDeps, key: RunKey, version: number): Promise<Found | null> {
  const hot = await tryHot(deps, key);
  if (hot?.version === version) return { record: hot, servedBy: 'hot' };
  const durable = await deps.durable.loadVersion(key, version);
  return durable ? { record: durable, servedBy: 'durable' } : null;
}

/** Put a version read from a lower tier back into the hot tier, without delaying the reader. */
function promote(deps: ServiceDeps, caller: Caller, key: RunKey, record: StoredVersion): void {
  const ttl = PLANS[caller.tenant.plan].hotTtlSeconds;
  deps.hot.promote(key, record, ttl).catch((error: unknown) => {
    deps.log.warn({ err: error, runId: key.runId }, 'promotion to the hot tier failed');
  });
}
