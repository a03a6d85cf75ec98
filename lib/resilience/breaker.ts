/**
 * A circuit breaker per tier: after a run of failures the tier is skipped at once for a while, so one dead
 * tier does not make every request wait for its timeout (DESIGN.md, "a tier that fails is skipped quickly").
 * With a `probe` (the tier's ping), the breaker itself finds out when the tier is back: one cheap call at a
 * time, at growing intervals, instead of a user request sent as the trial after `openMs`.
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
   * @default 3 (BREAKER_DEFAULTS)
   */
  readonly failureThreshold?: number | undefined;
  /**
   * How long an open circuit rejects calls before it lets a trial call through.
   * @default 500 (BREAKER_DEFAULTS)
   */
  readonly openMs?: number | undefined;
  /**
   * Trial calls allowed at once while half-open; the others fail fast until a trial settles.
   * @default 1
   */
  readonly halfOpenMaxCalls?: number | undefined;
  /**
   * A cheap call that resolves when the tier answers (its `ping`). While the circuit is open the breaker runs
   * it itself, one at a time: first `probeMinMs` after opening, then at doubling intervals up to `openMs`;
   * its success closes the circuit, its failure keeps it open. Calls are refused all the while, so no user
   * request pays for a trial, and a dead tier sees at most one probe per interval. Interval growth carries
   * over when a circuit that a probe closed opens again before any call succeeded (a ping that answers while
   * real calls fail cannot make the circuit flap faster than `openMs`). Without it, the first call after
   * `openMs` is the trial (half-open).
   * @default undefined
   */
  readonly probe?: (() => Promise<unknown>) | undefined;
  /**
   * First interval between opening and a probe, in ms (then doubled up to `openMs`).
   * @default 100 (BREAKER_DEFAULTS)
   */
  readonly probeMinMs?: number | undefined;
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
  /** Stops probing for good (the tier is closing); calls are still answered as the state says. */
  dispose(): void;
}

/**
 * The one set of defaults, for every tier's breaker (lib/runtime/resilient-tiers.ts passes only overrides).
 * Three failures in a row is a tier down, not a blip; an open circuit is probed within 500 ms, so a returning
 * tier is served again within a second (bench/failover.ts measures it).
 */
export const BREAKER_DEFAULTS = {
  failureThreshold: 3,
  openMs: 500,
  probeMinMs: 100,
  halfOpenMaxCalls: 1,
} as const;

function positiveInteger(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 1)
    throw new RangeError(`${what} must be an integer >= 1, got ${value}`);
  return value;
}

export function createCircuitBreaker(options: CircuitBreakerOptions): CircuitBreaker {
  const { name, now = Date.now, onStateChange } = options;
  const threshold = positiveInteger(
    options.failureThreshold ?? BREAKER_DEFAULTS.failureThreshold,
    'failureThreshold',
  );
  const maxTrials = positiveInteger(
    options.halfOpenMaxCalls ?? BREAKER_DEFAULTS.halfOpenMaxCalls,
    'halfOpenMaxCalls',
  );
  const openMs = options.openMs ?? BREAKER_DEFAULTS.openMs;
  if (!Number.isFinite(openMs) || openMs < 0) throw new RangeError(`openMs must be >= 0, got ${openMs}`);
  const { probe } = options;
  const probeMinMs = Math.min(options.probeMinMs ?? BREAKER_DEFAULTS.probeMinMs, openMs);
  if (!Number.isFinite(probeMinMs) || probeMinMs < 0)
    throw new RangeError(`probeMinMs must be >= 0, got ${probeMinMs}`);

  let state: BreakerState = 'closed';
  let failures = 0;
  let openedAt: number | null = null;
  let lastError: TierUnavailable | undefined;
  let trials = 0;
  // Bumped on every transition: a call admitted under an earlier state (one still in flight when the
  // circuit opened, say) must not close or re-open the circuit when it finally settles.
  let generation = 0;
  // Probing (with `probe` only): the pending timer, the next interval, and whether the last close was a
  // probe's with no call succeeding since (then a re-open keeps the grown interval).
  let probeTimer: ReturnType<typeof setTimeout> | undefined;
  let probeInterval = probeMinMs;
  let closedByProbe = false;
  let disposed = false;

  function transition(to: BreakerState, error?: TierUnavailable): void {
    const from = state;
    state = to;
    generation++;
    trials = 0;
    if (to === 'open') openedAt = now();
    if (to === 'closed') failures = 0;
    if (to === 'open' && probe) {
      probeInterval = closedByProbe ? Math.min(openMs, Math.max(probeInterval * 2, probeMinMs)) : probeMinMs;
      scheduleProbe();
    }
    try {
      onStateChange?.({ name, from, to, ...(error && { error }) });
    } catch (e) {
      process.emitWarning(`circuit breaker ${name}: onStateChange threw: ${String(e)}`);
    }
  }

  function scheduleProbe(): void {
    clearTimeout(probeTimer);
    if (disposed || !probe) return;
    const openedIn = generation;
    probeTimer = setTimeout(() => {
      probeTimer = undefined;
      void runProbe(openedIn);
    }, probeInterval);
    // A breaker must never keep a process alive on its own.
    probeTimer.unref?.();
  }

  async function runProbe(openedIn: number): Promise<void> {
    if (!probe || disposed || generation !== openedIn || state !== 'open') return;
    let up = false;
    try {
      await probe();
      up = true;
    } catch {
      // Still down: try again later.
    }
    if (disposed || generation !== openedIn || state !== 'open') return;
    if (up) {
      closedByProbe = true;
      transition('closed');
      return;
    }
    probeInterval = Math.min(openMs, probeInterval * 2);
    scheduleProbe();
  }

  function admit(): boolean {
    // With a probe, only the probe closes an open circuit.
    if (state === 'open' && probe && !disposed) return false;
    if (state === 'open' && now() - (openedAt ?? 0) >= openMs) transition('half_open');
    if (state === 'closed') return true;
    if (state === 'half_open' && trials < maxTrials) {
      trials++;
      return true;
    }
    return false;
  }

  function rejection(): TierUnavailable {
    const why =
      state === 'half_open'
        ? 'a trial call is in progress'
        : probe && !disposed
          ? 'probing the tier'
          : `retrying in ${retryIn()} ms`;
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
      closedByProbe = false;
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
    dispose() {
      disposed = true;
      clearTimeout(probeTimer);
      probeTimer = undefined;
    },
    snapshot: () => ({
      state,
      consecutiveFailures: failures,
      openedAt,
      ...(lastError && { lastError: lastError.message }),
    }),
  };
}
