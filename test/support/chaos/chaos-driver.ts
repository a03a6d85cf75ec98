/**
 * The chaos driver: breaks Redis and Postgres, and kills state-api instances, at random moments from a seeded
 * PRNG, each fault held for a random while and then undone (a killed instance is replaced by a fresh one), and
 * keeps the timeline so a test can ask what was down when.
 * Bounded by a number of faults and a deadline; it always leaves the servers up when it returns.
 */
import type { FaultyEngines } from './faulty-engines.ts';
import type { Rng } from './rng.ts';

export const FAULT_KINDS = [
  'redis-kill',
  'redis-cut',
  'pg-stop',
  'pg-kill9',
  'pg-cut',
  'instance-kill',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** Fault kinds from a comma-separated list (CHAOS_KINDS), to replay one kind of trouble alone; all by default. */
export function faultKindsFrom(list: string | undefined): readonly FaultKind[] {
  if (!list) return FAULT_KINDS;
  const kinds = list.split(',').map((k) => k.trim());
  const unknown = kinds.filter((k) => !(FAULT_KINDS as readonly string[]).includes(k));
  if (unknown.length > 0)
    throw new Error(`unknown fault kind(s) ${unknown.join(', ')}; known: ${FAULT_KINDS.join(', ')}`);
  return kinds as FaultKind[];
}
export type Target = 'redis' | 'postgres' | 'instance';

export const targetOf = (kind: FaultKind): Target =>
  kind.startsWith('redis') ? 'redis' : kind.startsWith('pg') ? 'postgres' : 'instance';

export interface FaultRecord {
  readonly kind: FaultKind;
  readonly target: Target;
  /** performance.now() just before the fault was applied, and once it was undone (server answering again). */
  readonly appliedAt: number;
  readonly restoredAt: number;
}

export interface ChaosOptions {
  /** At most this many faults (an overlapping pair counts two). */
  readonly maxFaults: number;
  /** No fault starts after this (performance.now()). */
  readonly until: number;
  /** Pause before each fault, ms. */
  readonly gapMs: readonly [number, number];
  /** How long each fault is held, ms. @default [300, 2000] */
  readonly holdMs?: readonly [number, number];
  readonly kinds: readonly FaultKind[];
  /** Chance that a fault is joined by one on the other engine while it is held. @default 0.2 */
  readonly overlapChance?: number;
  readonly stopped?: () => boolean;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** Puts the fault in place; resolves with what its undo needs (the slot of a killed instance). */
async function apply(engines: FaultyEngines, kind: FaultKind): Promise<number | undefined> {
  const f = engines.faults;
  switch (kind) {
    case 'redis-kill':
      await f.killRedis();
      return undefined;
    case 'redis-cut':
      f.cutRedis();
      return undefined;
    case 'pg-stop':
      await f.stopPostgresImmediate();
      return undefined;
    case 'pg-kill9':
      await f.kill9Postgres();
      return undefined;
    case 'pg-cut':
      f.cutPostgres();
      return undefined;
    case 'instance-kill':
      return f.killInstance();
  }
}

async function undo(engines: FaultyEngines, kind: FaultKind, applied: number | undefined): Promise<void> {
  const f = engines.faults;
  switch (kind) {
    case 'redis-kill':
      return f.restartRedis();
    case 'redis-cut':
      return f.restoreRedis();
    case 'pg-stop':
    case 'pg-kill9':
      return f.startPostgres();
    case 'pg-cut':
      return f.restorePostgres();
    case 'instance-kill':
      // A kill that was refused (too few serving) or failed half-way leaves nothing to replace here; heal()
      // restarts whatever is down.
      if (applied !== undefined) await f.restartInstance(applied);
  }
}

/** Applies `kind`, holds it `holdMs`, undoes it; the record spans the whole outage. */
export async function injectFault(
  engines: FaultyEngines,
  kind: FaultKind,
  holdMs: number,
): Promise<FaultRecord> {
  const appliedAt = performance.now();
  let applied: number | undefined;
  try {
    applied = await apply(engines, kind);
    await sleep(holdMs);
  } finally {
    // Undone even if applying failed half-way: the driver never leaves a server down behind it.
    await undo(engines, kind, applied);
  }
  return { kind, target: targetOf(kind), appliedAt, restoredAt: performance.now() };
}

export interface Outage {
  readonly records: readonly FaultRecord[];
  /** performance.now(): every fault applied / the first one about to be undone. */
  readonly downFrom: number;
  readonly downTo: number;
}

/**
 * Several faults at once (e.g. Redis and Postgres both down), held `holdMs`; `beforeUndo` runs while they
 * still hold (a test stops its writers there). Every fault is undone, even when applying one failed.
 */
export async function injectOutage(
  engines: FaultyEngines,
  kinds: readonly FaultKind[],
  holdMs: number,
  beforeUndo: () => void = () => {},
): Promise<Outage> {
  const appliedAt = performance.now();
  let downFrom = appliedAt;
  let downTo = appliedAt;
  const applied = new Map<FaultKind, number | undefined>();
  try {
    for (const kind of kinds) applied.set(kind, await apply(engines, kind));
    downFrom = performance.now();
    await sleep(holdMs);
  } finally {
    beforeUndo();
    downTo = performance.now();
    for (const kind of kinds) await undo(engines, kind, applied.get(kind));
  }
  const restoredAt = performance.now();
  return {
    records: kinds.map((kind) => ({ kind, target: targetOf(kind), appliedAt, restoredAt })),
    downFrom,
    downTo,
  };
}

export async function runChaos(
  engines: FaultyEngines,
  rng: Rng,
  options: ChaosOptions,
): Promise<FaultRecord[]> {
  const records: FaultRecord[] = [];
  const [holdMin, holdMax] = options.holdMs ?? [300, 2000];
  const overlapChance = options.overlapChance ?? 0.2;
  const going = () =>
    records.length < options.maxFaults && performance.now() < options.until && !options.stopped?.();
  for (let round = 0; round < options.maxFaults && going(); round++) {
    await sleep(rng.between(options.gapMs[0], options.gapMs[1]));
    if (!going()) break;
    const kind = rng.pick(options.kinds);
    const hold = rng.between(holdMin, holdMax);
    const others = options.kinds.filter((k) => targetOf(k) !== targetOf(kind));
    if (others.length > 0 && records.length + 2 <= options.maxFaults && rng.next() < overlapChance) {
      // Both engines down for a while: the second fault starts while the first is held.
      const other = rng.pick(others);
      const offset = rng.between(0, hold * 0.7);
      const otherHold = rng.between(holdMin, holdMax);
      const pair = await Promise.all([
        injectFault(engines, kind, hold),
        sleep(offset).then(() => injectFault(engines, other, otherHold)),
      ]);
      records.push(...pair);
    } else {
      records.push(await injectFault(engines, kind, hold));
    }
  }
  return records;
}

/**
 * Whether [from, to] lies inside an outage of Redis alone: a Redis fault spans it, and no Postgres fault
 * touches it or ended less than `settleMs` before it (the durable breaker and the proxy's pool need that
 * long to find Postgres again).
 */
export function onlyRedisDown(
  records: readonly FaultRecord[],
  from: number,
  to: number,
  settleMs: number,
): boolean {
  const redis = records.some((r) => r.target === 'redis' && r.appliedAt <= from && to <= r.restoredAt);
  if (!redis) return false;
  return !records.some(
    (r) => r.target === 'postgres' && r.appliedAt <= to && from <= r.restoredAt + settleMs,
  );
}

export function describeFaults(records: readonly FaultRecord[]): string {
  const counts = new Map<FaultKind, number>();
  for (const r of records) counts.set(r.kind, (counts.get(r.kind) ?? 0) + 1);
  return [...counts].map(([kind, n]) => `${kind}×${n}`).join(' ');
}
