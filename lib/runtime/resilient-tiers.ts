/**
 * Puts each tier behind its own circuit breaker, so a dead tier is skipped without paying its timeout on every
 * request and is tried again once it recovers (one trial call after `openMs`).
 */

import type { TierName } from '../errors.ts';
import type { Logger } from '../observability/logger.ts';
import { type CircuitBreaker, createCircuitBreaker } from '../resilience/breaker.ts';
import { guardTier } from '../resilience/guard.ts';

export interface BreakerSettings {
  /** Consecutive unavailable answers that open the circuit. @default 3 */
  readonly failureThreshold?: number;
  /** How long an open circuit skips the tier before one trial call. @default 500 */
  readonly openMs?: number;
}

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
    failureThreshold: settings.failureThreshold ?? 3,
    openMs: settings.openMs ?? 500,
    onStateChange: (change) =>
      log.warn({ tier: change.name, from: change.from, to: change.to }, 'circuit breaker'),
  });
  breakers[name] = breaker;
  // biome-ignore lint/suspicious/noExplicitAny: guardTier checks the port is all-async; the ports here are.
  return guardTier(tier as any, breaker) as T;
}
