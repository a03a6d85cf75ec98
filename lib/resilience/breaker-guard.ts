/**
 * Puts a tier behind its circuit breaker: every async method of the port runs through `breaker.run`, so
 * callers (the service, the health check) keep using the port they know and skip a dead tier for free.
 */
import type { CircuitBreaker } from './breaker.ts';

/** Resolves to `T` when every method of `T` returns a Promise, to `never` otherwise (a guarded call is async). */
export type AsyncPort<T> = {
  readonly [K in keyof T]: T[K] extends (...args: infer _A) => infer R
    ? R extends Promise<unknown>
      ? T[K]
      : never
    : T[K];
};

export interface GuardOptions<T> {
  /**
   * Methods called directly, bypassing the breaker. `close` is never guarded: shutting down must work
   * whatever the breaker thinks of the tier.
   * @default []
   */
  readonly exclude?: readonly (keyof T)[] | undefined;
}

/**
 * A view of `tier` whose methods run through `breaker`. `ping` is guarded too, so the health check reports
 * an open circuit as down (the breaker's own probe calls the tier's ping directly). `close` stops the probing.
 */
export function guardTier<T extends object & AsyncPort<T>>(
  tier: T,
  breaker: CircuitBreaker,
  options: GuardOptions<T> = {},
): T {
  const direct = new Set<PropertyKey>(['close', ...(options.exclude ?? [])]);
  // One wrapper per method, so `guarded.load === guarded.load` as it would be on the tier itself.
  const wrappers = new Map<PropertyKey, unknown>();
  return new Proxy(tier, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      let wrapper = wrappers.get(property);
      if (wrapper === undefined) {
        // `this` is the tier, not the proxy: adapters that are classes read their #private state through it.
        if (property === 'close') {
          // A closing tier is probed no more.
          wrapper = (...args: unknown[]) => {
            breaker.dispose();
            return Reflect.apply(value, target, args);
          };
        } else {
          wrapper = direct.has(property)
            ? value.bind(target)
            : (...args: unknown[]) =>
                breaker.run(() => Reflect.apply(value, target, args) as Promise<unknown>);
        }
        wrappers.set(property, wrapper);
      }
      return wrapper;
    },
  });
}
