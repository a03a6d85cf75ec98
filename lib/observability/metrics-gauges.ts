/**
 * The gauges, read from the tiers: circuit breakers, spool and outbox depth, archive lag, dead letters. The
 * Prometheus endpoint reads them at each scrape; the scheduled functions read and log them after each job
 * (a Cloud Functions instance has no scrape, and is frozen between invocations).
 */
import type { TierName } from '../errors.ts';
import type { BreakerState, CircuitBreaker } from '../resilience/breaker.ts';
import type { ArchiveQueue } from '../tiers/durable/archive-queue-port.ts';
import type { FallbackStore } from '../tiers/fallback/port.ts';
import type { HotTier } from '../tiers/hot/port.ts';
import type { Measurement } from './metrics-catalog.ts';
import type { Metrics } from './metrics-port.ts';

/** The slices of the tiers the gauges read (lib/runtime/tiers.ts `Tiers` fits). */
export interface GaugeSource {
  readonly hot: Pick<HotTier, 'outboxSize'>;
  readonly durable: { readonly archiveQueue: Pick<ArchiveQueue, 'oldestPendingCompletion'> };
  readonly fallback?: Pick<FallbackStore, 'count' | 'deadLetterCount'>;
  readonly breakers?: Partial<Record<TierName, Pick<CircuitBreaker, 'state'>>>;
}

export const BREAKER_VALUE: Readonly<Record<BreakerState, number>> = { closed: 0, half_open: 1, open: 2 };

/**
 * Every gauge's current value. A read that fails gives NaN (unknown), never a stale or invented number; the
 * reads run at once, so a dead tier costs one timeout, not one per gauge.
 */
export async function readGauges(source: GaugeSource, now: () => number = Date.now): Promise<Measurement[]> {
  const [outbox, oldest, spool, dead] = await Promise.allSettled([
    source.hot.outboxSize(),
    source.durable.archiveQueue.oldestPendingCompletion(),
    source.fallback ? source.fallback.count() : Promise.resolve(0),
    source.fallback ? source.fallback.deadLetterCount() : Promise.resolve(0),
  ]);
  const settled = (read: PromiseSettledResult<number>) =>
    read.status === 'fulfilled' ? read.value : Number.NaN;
  const lag =
    oldest.status === 'rejected'
      ? Number.NaN
      : oldest.value === null
        ? 0
        : Math.max(0, (now() - oldest.value) / 1000);
  const breakers = Object.entries(source.breakers ?? {}).flatMap(([tier, breaker]): Measurement[] =>
    breaker
      ? [{ name: 'strata_breaker_state', labels: { tier }, value: BREAKER_VALUE[breaker.state()] }]
      : [],
  );
  return [
    ...breakers,
    { name: 'strata_outbox_depth', labels: {}, value: settled(outbox) },
    { name: 'strata_archive_lag_seconds', labels: {}, value: lag },
    { name: 'strata_spool_depth', labels: {}, value: settled(spool) },
    { name: 'strata_dead_letters', labels: {}, value: settled(dead) },
  ];
}

/** Reads the gauges and writes each to `metrics` (one line each for the log sink: they are not a request). */
export async function recordGauges(metrics: Metrics, source: GaugeSource, now?: () => number): Promise<void> {
  if (metrics.kind === 'off') return;
  for (const gauge of await readGauges(source, now)) metrics.event([gauge]);
}
