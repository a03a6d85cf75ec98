/** Health of each tier, as the persistence endpoint reports it: reachability, latency and breaker state. */
import type { TierName } from '../errors.ts';
import type { ServiceDeps } from './deps.ts';

export interface TierHealth {
  readonly status: 'up' | 'down';
  readonly latencyMs: number;
  readonly breaker?: 'closed' | 'open' | 'half_open';
  readonly error?: string;
  /**
   * Fallback store only: spooled writes set aside because Postgres refused them (they wait for an operator;
   * `strata check` lists them). Absent when the count could not be read.
   */
  readonly deadLetters?: number;
}

export interface PersistenceHealth {
  /** True when a save can be acknowledged somewhere: the hot tier, the durable tier or the fallback store. */
  readonly acceptingWrites: boolean;
  readonly tiers: Partial<Record<TierName, TierHealth>>;
}

const round = (ms: number) => Math.round(ms * 100) / 100;

async function probe(deps: ServiceDeps, tier: TierName, ping: () => Promise<void>): Promise<TierHealth> {
  const started = performance.now();
  const breaker = deps.breakers?.[tier];
  let result: TierHealth;
  try {
    await ping();
    result = { status: 'up', latencyMs: round(performance.now() - started) };
  } catch (error) {
    result = {
      status: 'down',
      latencyMs: round(performance.now() - started),
      error: (error as Error).message,
    };
  }
  return breaker ? { ...result, breaker: breaker.state() } : result;
}

export async function checkHealth(deps: ServiceDeps): Promise<PersistenceHealth> {
  const probes: Array<[TierName, () => Promise<void>]> = [
    ['hot', () => deps.hot.ping()],
    ['durable', () => deps.durable.ping()],
  ];
  const { archive, fallback } = deps;
  if (archive) probes.push(['archive', () => archive.ping()]);
  if (fallback) probes.push(['fallback', () => fallback.ping()]);
  const [results, deadLetters] = await Promise.all([
    Promise.all(probes.map(async ([tier, ping]) => [tier, await probe(deps, tier, ping)] as const)),
    // Best effort, outside the ping: a count that fails says nothing about whether a spool would succeed.
    fallback?.deadLetterCount().catch(() => undefined),
  ]);
  const tiers = Object.fromEntries(results) as PersistenceHealth['tiers'];
  if (tiers.fallback && deadLetters !== undefined) tiers.fallback = { ...tiers.fallback, deadLetters };
  const up = (tier: TierName) => tiers[tier]?.status === 'up';
  return { acceptingWrites: up('hot') || up('durable') || up('fallback'), tiers };
}
