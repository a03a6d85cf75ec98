/**
 * Plans: what each tenant segment gets, as data. A plan is a per-tenant setting, never a code path per customer.
 * The answer to every save says where the data is (`durability`), so a plan never makes a 2xx lie.
 */
import type { PlanName } from './tiers/durable/port.ts';
import type { CheckpointType } from './tiers/types.ts';

export interface PlanPolicy {
  /** TTL of a run's hot copy, refreshed on each save. */
  readonly hotTtlSeconds: number;
  /** Every Nth version of a run is made durable whatever its checkpoint type; null: never by cadence. */
  readonly durableEveryVersions: number | null;
  /** CRITICAL and FULL saves are committed in Postgres before the answer. */
  readonly durableCritical: boolean;
  /** Every save is committed in Postgres before the answer. */
  readonly durableAlways: boolean;
  /** How long durable checkpoints are kept. */
  readonly retentionDays: number;
}

const DAY = 24 * 3600;

export const PLANS: Readonly<Record<PlanName, PlanPolicy>> = {
  free: {
    hotTtlSeconds: DAY,
    durableEveryVersions: null,
    durableCritical: false,
    durableAlways: false,
    retentionDays: 7,
  },
  early: {
    hotTtlSeconds: 7 * DAY,
    durableEveryVersions: 10,
    durableCritical: false,
    durableAlways: false,
    retentionDays: 30,
  },
  mid: {
    hotTtlSeconds: 7 * DAY,
    durableEveryVersions: 10,
    durableCritical: true,
    durableAlways: false,
    retentionDays: 90,
  },
  enterprise: {
    hotTtlSeconds: 30 * DAY,
    durableEveryVersions: 1,
    durableCritical: true,
    durableAlways: true,
    retentionDays: 365,
  },
};

/** Whether a save of `checkpoint` at `version` must be committed in the durable tier before it is acknowledged. */
export function mustBeDurable(plan: PlanPolicy, checkpoint: CheckpointType, version: number): boolean {
  if (plan.durableAlways) return true;
  if (plan.durableCritical && checkpoint !== 'AUTO') return true;
  return plan.durableEveryVersions !== null && version % plan.durableEveryVersions === 0;
}

/**
 * How long the hot tier keeps a completed (or abandoned) run's seal: longer than any plan's hot TTL, so no hot
 * copy of the run outlives it; after that a save finds no hot head and the durable index refuses it.
 */
export const SEAL_TTL_SECONDS = Math.max(...Object.values(PLANS).map((plan) => plan.hotTtlSeconds)) + 86_400;
