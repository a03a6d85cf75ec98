/**
 * Puts each tier behind its own circuit breaker, so a dead tier is skipped without paying its timeout on every
 * request, and is served again as soon as its own ping answers: the breaker probes an open tier itself (one ping
 * at a time, every 100 ms at first, doubling up to `openMs`), so recovery costs no user request a trial.
 */

import type { TierName } from '../errors.ts';
import type { Logger } from '../observability/logger.ts';
import {
  type CircuitBreaker,
  type CircuitBreakerOptions,
  createCircuitBreaker,
} from '../resilience/breaker.ts';
import { guardTier } from '../resilience/breaker-guard.ts';

/** Overrides of BREAKER_DEFAULTS (lib/resilience/breaker.ts), which every tier's breaker uses otherwise. */
export type BreakerSettings = Pick<CircuitBreakerOptions, 'failureThreshold' | 'openMs' | 'probeMinMs'>;

export type Breakers = Partial<Record<TierName, CircuitBreaker>>;

export function withBreaker<T extends object>(
  name: TierName,
  tier: T,
  breakers: Breakers,
  log: Logger,
  settings: BreakerSettings = {},
): T {
  const breaker = createCircuitBreaker({
    name,
    ...settings,
    // The tier's own ping, not the guarded one (which the open circuit would refuse).
    probe: pingOf(tier),
    onStateChange: (change) =>
      log.warn({ tier: change.name, from: change.from, to: change.to }, 'circuit breaker'),
  });
  breakers[name] = breaker;
  // biome-ignore lint/suspicious/noExplicitAny: guardTier checks the port is all-async; the ports here are.
  return guardTier(tier as any, breaker) as T;
}

function pingOf(tier: object): (() => Promise<unknown>) | undefined {
  const ping: unknown = Reflect.get(tier, 'ping');
  return typeof ping === 'function' ? () => Reflect.apply(ping, tier, []) as Promise<unknown> : undefined;
}
