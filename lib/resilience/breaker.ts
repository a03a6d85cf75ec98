/**
 * A circuit breaker per tier: after a run of failures the tier is skipped at once for a while, so one dead
 * tier does not make every request wait for its timeout (DESIGN.md, "a tier that fails is skipped quickly").
 */
import { type TierName, TierUnavailable } from '../errors.ts';

export type BreakerState = 'closed' | 'open' | 'half_open';

export interface BreakerStateChange {
  readonly name: TierName;
  readonly from: BreakerState;
  readonly to: BreakerState;
  /** The failure that opened the circuit (absent when it closes or lets a trial through). */
  readonly error?: TierUnavailable;
}

export interface CircuitBreakerOptions {
  /** The tier it protects: named in the errors it raises. */
  readonly name: TierName;
  /**
   * Consecutive `TierUnavailable` failures that open the circuit.
   * @default 5
   */
  readonly failureThreshold?: number | undefined;
  /**
   * How long an open circuit rejects calls before it lets a trial call through.
   * @default 1000
   */
  readonly openMs?: number | undefined;
  /**
   * Trial calls allowed at once while half-open; the others fail fast until a trial settles.
   * @default 1
   */
  readonly halfOpenMaxCalls?: number | undefined;
  /**
   * Clock in epoch ms; tests inject one to pass `openMs` without waiting.
   * @default Date.now
   */
  readonly now?: (() => number) | undefined;
  /**
   * Told of every transition (logs, metrics). It must not throw: an error it throws is only reported
   * through `process.emitWarning`, so a broken listener cannot wedge the breaker.
   * @default undefined
   */
  readonly onStateChange?: ((change: BreakerStateChange) => void) | undefined;
}

export interface BreakerSnapshot {
  readonly state: BreakerState;
  readonly consecutiveFailures: number;
  /** Epoch ms at which the circuit last opened; null while it has never opened. */
  readonly openedAt: number | null;
  readonly lastError?: string;
}

export interface CircuitBreaker {
  /** Runs `fn` unless the circuit is open; rejects with TierUnavailable without calling it otherwise. */
  run<T>(fn: () => Promise<T>): Promise<T>;
  /** The current state. An open circuit whose `openMs` has passed stays 'open' until a call tries it. */
  state(): BreakerState;
  snapshot(): BreakerSnapshot;
}

function positiveInteger(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 1)
    throw new RangeError(`${what} must be an integer >= 1, got ${value}`);
  return value;
}

export function createCircuitBreaker(options: CircuitBreakerOptions): CircuitBreaker {
  const { name, now = Date.now, onStateChange } = options;
  const threshold = positiveInteger(options.failureThreshold ?? 5, 'failureThreshold');
  const maxTrials = positiveInteger(options.halfOpenMaxCalls ?? 1, 'halfOpenMaxCalls');
  const openMs = options.openMs ?? 1_000;
  if (!Number.isFinite(openMs) || openMs < 0) throw new RangeError(`openMs must be >= 0, got ${openMs}`);

  let state: BreakerState = 'closed';
  let failures = 0;
  let openedAt: number | null = null;
  let lastError: TierUnavailable | undefined;
  let trials = 0;
  // Bumped on every transition: a call admitted under an earlier state (one still in flight when the
  // circuit opened, say) must not close or re-open the circuit when it finally settles.
  let generation = 0;

  function transition(to: BreakerState, error?: TierUnavailable): void {
    const from = state;
    state = to;
    generation++;
    trials = 0;
    if (to === 'open') openedAt = now();
    if (to === 'closed') failures = 0;
    try {
      onStateChange?.({ name, from, to, ...(error && { error }) });
    } catch (e) {
      process.emitWarning(`circuit breaker ${name}: onStateChange threw: ${String(e)}`);
    }
  }

  function admit(): boolean {
    if (state === 'open' && now() - (openedAt ?? 0) >= openMs) transition('half_open');
    if (state === 'closed') return true;
    if (state === 'half_open' && trials < maxTrials) {
      trials++;
      return true;
    }
    return false;
  }

  function rejection(): TierUnavailable {
    const why = state === 'half_open' ? 'a trial call is in progress' : `retrying in ${retryIn()} ms`;
    const last = lastError ? ` (last error: ${lastError.message})` : '';
    return new TierUnavailable(
      name,
      `circuit open after ${failures} consecutive failures; ${why}${last}`,
      lastError ? { cause: lastError } : undefined,
    );
  }

  const retryIn = () => Math.max(0, (openedAt ?? 0) + openMs - now());

  function settle(admittedIn: number, error: unknown): void {
    if (admittedIn !== generation) return;
    if (!(error instanceof TierUnavailable)) {
      // The tier answered (a conflict, a not-found, a TierRejected refusal of the data): it is up.
      if (state === 'half_open') transition('closed');
      else failures = 0;
      return;
    }
    lastError = error;
    failures++;
    if (state === 'half_open' || failures >= threshold) transition('open', error);
  }

  return {
    async run(fn) {
      if (!admit()) throw rejection();
      const admittedIn = generation;
      try {
        const result = await fn();
        settle(admittedIn, undefined);
        return result;
      } catch (error) {
        settle(admittedIn, error);
        throw error;
      }
    },
    state: () => state,
    snapshot: () => ({
      state,
      consecutiveFailures: failures,
      openedAt,
      ...(lastError && { lastError: lastError.message }),
    }),
  };
}
