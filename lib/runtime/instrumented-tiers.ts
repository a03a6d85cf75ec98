/**
 * Times every call of a tier port into strata_tier_call_duration_seconds{tier,operation,outcome}: a Proxy like
 * lib/resilience/breaker-guard.ts's, so callers keep the port they know. openTiers puts it INSIDE the circuit breaker:
 * it measures calls that reached the tier, while a call an open breaker refuses shows in strata_breaker_state.
 */
import {
  IdempotencyMismatch,
  NotFound,
  PatchTestFailed,
  SpoolBacklog,
  type TierName,
  VersionConflict,
} from '../errors.ts';
import type { Metrics } from '../observability/metrics.ts';

/** Rejections that are the tier's answer, not its failure (as the breaker sees them): outcome ok. */
const ANSWERS = [VersionConflict, IdempotencyMismatch, NotFound, PatchTestFailed, SpoolBacklog];
const isAnswer = (error: unknown) => ANSWERS.some((type) => error instanceof type);

export function instrumentTier<T extends object>(tier: TierName, port: T, metrics: Metrics): T {
  if (metrics.kind === 'off') return port;
  // One wrapper per method, so `instrumented.load === instrumented.load` as on the port itself.
  const wrappers = new Map<PropertyKey, unknown>();
  return new Proxy(port, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function' || property === 'close' || typeof property !== 'string') return value;
      let wrapper = wrappers.get(property);
      if (wrapper === undefined) {
        const operation = property;
        const observe = (started: number, outcome: 'ok' | 'error') =>
          metrics.observe(
            'strata_tier_call_duration_seconds',
            { tier, operation, outcome },
            (performance.now() - started) / 1000,
          );
        wrapper = (...args: unknown[]) => {
          const started = performance.now();
          // `this` is the port, not the proxy: adapters that are classes read their #private state through it.
          const result: unknown = Reflect.apply(value, target, args);
          if (!(result instanceof Promise)) return result;
          return result.then(
            (resolved: unknown) => {
              observe(started, 'ok');
              return resolved;
            },
            (error: unknown) => {
              observe(started, isAnswer(error) ? 'ok' : 'error');
              throw error;
            },
          );
        };
        wrappers.set(property, wrapper);
      }
      return wrapper;
    },
  });
}
