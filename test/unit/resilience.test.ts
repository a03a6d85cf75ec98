/** The circuit breaker and the guard that puts a tier behind it. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { NotFound, TierUnavailable, VersionConflict } from '../../lib/errors.ts';
import { type BreakerStateChange, createCircuitBreaker } from '../../lib/resilience/breaker.ts';
import { guardTier } from '../../lib/resilience/breaker-guard.ts';
import type { HotTier } from '../../lib/tiers/hot/port.ts';

const down = () => Promise.reject(new TierUnavailable('durable', 'connection refused'));
const ok = () => Promise.resolve('ok');

/** A promise settled from outside (Promise.withResolvers is Node 22+). */
function deferred() {
  let resolve: (value: string) => void = () => {};
  const promise = new Promise<string>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

function setup(options: { failureThreshold?: number; halfOpenMaxCalls?: number } = {}) {
  let clock = 1_000_000;
  const changes: BreakerStateChange[] = [];
  const breaker = createCircuitBreaker({
    name: 'durable',
    openMs: 1_000,
    now: () => clock,
    onStateChange: (c) => changes.push(c),
    ...options,
  });
  const fail = async (times: number) => {
    for (let i = 0; i < times; i++) await expect(breaker.run(down)).rejects.toThrow('connection refused');
  };
  return { breaker, changes, fail, advance: (ms: number) => (clock += ms) };
}

describe('circuit breaker', () => {
  it('opens after N consecutive TierUnavailable failures, and a success in between resets the count', async () => {
    const { breaker, fail, changes } = setup({ failureThreshold: 3 });
    await fail(2);
    await breaker.run(ok);
    await fail(2);
    expect(breaker.snapshot()).toMatchObject({ state: 'closed', consecutiveFailures: 2 });
    await fail(1);
    expect(breaker.snapshot()).toEqual({
      state: 'open',
      consecutiveFailures: 3,
      openedAt: 1_000_000,
      lastError: 'durable tier unavailable: connection refused',
    });
    expect(changes.map((c) => [c.from, c.to])).toEqual([['closed', 'open']]);
    expect(changes[0]?.error).toBeInstanceOf(TierUnavailable);
  });

  it('does not count answers of the tier (conflicts, not found, bugs) as failures', async () => {
    const { breaker } = setup({ failureThreshold: 2 });
    for (const error of [new VersionConflict(3, 2), new NotFound('no run'), new TypeError('bug')]) {
      await expect(breaker.run(() => Promise.reject(error))).rejects.toBe(error);
      await expect(breaker.run(() => Promise.reject(error))).rejects.toBe(error);
    }
    expect(breaker.snapshot()).toMatchObject({ state: 'closed', consecutiveFailures: 0 });
  });

  it('fails fast while open, without calling fn, naming the tier and the last error', async () => {
    const { breaker, fail, advance } = setup({ failureThreshold: 1 });
    await fail(1);
    advance(999);
    const fn = vi.fn(ok);
    const error = await breaker.run(fn).catch((e: unknown) => e);
    expect(fn).not.toHaveBeenCalled();
    expect(error).toBeInstanceOf(TierUnavailable);
    expect((error as TierUnavailable).tier).toBe('durable');
    expect((error as Error).message).toMatch(/circuit open .*retrying in 1 ms.*connection refused/);
  });

  it('lets one trial through after openMs; its success closes the circuit', async () => {
    const { breaker, fail, advance, changes } = setup({ failureThreshold: 1 });
    await fail(1);
    advance(1_000);
    expect(breaker.state()).toBe('open');
    await expect(breaker.run(ok)).resolves.toBe('ok');
    expect(breaker.snapshot()).toMatchObject({ state: 'closed', consecutiveFailures: 0 });
    expect(changes.map((c) => c.to)).toEqual(['open', 'half_open', 'closed']);
  });

  it('re-opens on a failed trial, for a new openMs from the trial', async () => {
    const { breaker, fail, advance } = setup({ failureThreshold: 1 });
    await fail(1);
    advance(1_500);
    await fail(1);
    expect(breaker.snapshot()).toMatchObject({ state: 'open', openedAt: 1_001_500 });
    advance(999);
    await expect(breaker.run(ok)).rejects.toThrow(/circuit open/);
    advance(1);
    await expect(breaker.run(ok)).resolves.toBe('ok');
  });

  it('a trial that gets an answer other than TierUnavailable closes the circuit: the tier is up', async () => {
    const { breaker, fail, advance } = setup({ failureThreshold: 1 });
    await fail(1);
    advance(1_000);
    await expect(breaker.run(() => Promise.reject(new NotFound('x')))).rejects.toBeInstanceOf(NotFound);
    expect(breaker.state()).toBe('closed');
  });

  it('while half-open, calls beyond halfOpenMaxCalls fail fast until the trial settles', async () => {
    for (const halfOpenMaxCalls of [1, 2]) {
      const { breaker, fail, advance } = setup({ failureThreshold: 1, halfOpenMaxCalls });
      await fail(1);
      advance(1_000);
      const trials = Array.from({ length: halfOpenMaxCalls }, () => deferred());
      const running = trials.map((t) => breaker.run(() => t.promise));
      const extra = vi.fn(ok);
      await expect(breaker.run(extra)).rejects.toThrow(/a trial call is in progress/);
      expect(extra).not.toHaveBeenCalled();
      expect(breaker.state()).toBe('half_open');
      for (const t of trials) t.resolve('done');
      await Promise.all(running);
      expect(breaker.state()).toBe('closed');
      await expect(breaker.run(extra)).resolves.toBe('ok');
    }
  });

  it('ignores a call that settles after the circuit changed state under it', async () => {
    const { breaker, fail, advance } = setup({ failureThreshold: 1 });
    const slow = deferred();
    const inFlight = breaker.run(() => slow.promise);
    await fail(1);
    advance(1_000);
    const trial = deferred();
    const trialRun = breaker.run(() => trial.promise);
    slow.resolve('late');
    await expect(inFlight).resolves.toBe('late');
    // Admitted before the circuit opened, it says nothing about the tier now: only the trial decides.
    expect(breaker.snapshot()).toMatchObject({ state: 'half_open', consecutiveFailures: 1 });
    trial.resolve('trial');
    await trialRun;
    expect(breaker.state()).toBe('closed');
  });

  it('refuses nonsense options, and survives a listener that throws', async () => {
    expect(() => createCircuitBreaker({ name: 'hot', failureThreshold: 0 })).toThrow(RangeError);
    expect(() => createCircuitBreaker({ name: 'hot', halfOpenMaxCalls: 1.5 })).toThrow(RangeError);
    expect(() => createCircuitBreaker({ name: 'hot', openMs: -1 })).toThrow(RangeError);
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const breaker = createCircuitBreaker({
      name: 'hot',
      failureThreshold: 1,
      onStateChange: () => {
        throw new Error('listener bug');
      },
    });
    await expect(breaker.run(down)).rejects.toThrow('connection refused');
    expect(breaker.state()).toBe('open');
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('listener bug'));
    warn.mockRestore();
  });
});

describe('circuit breaker with a probe', () => {
  /** A breaker whose probe answers as `tierUp` says; fake timers drive the probe schedule. */
  function probed(options: { openMs?: number; probeMinMs?: number } = {}) {
    vi.useFakeTimers();
    let tierUp = false;
    const probes: number[] = [];
    const changes: BreakerStateChange[] = [];
    const breaker = createCircuitBreaker({
      name: 'durable',
      failureThreshold: 1,
      openMs: options.openMs ?? 400,
      probeMinMs: options.probeMinMs ?? 100,
      probe: async () => {
        probes.push(Date.now());
        if (!tierUp) throw new TierUnavailable('durable', 'still down');
      },
      onStateChange: (c) => changes.push(c),
    });
    return {
      breaker,
      probes,
      changes,
      setUp: (up: boolean) => {
        tierUp = up;
      },
    };
  }

  afterEach(() => {
    vi.useRealTimers();
  });

  it('closes as soon as a probe answers, without a user request as the trial', async () => {
    const { breaker, changes, setUp } = probed();
    await expect(breaker.run(down)).rejects.toThrow('connection refused');
    setUp(true);
    const call = vi.fn(ok);
    // Open: refused without calling the tier, whatever the clock says.
    await expect(breaker.run(call)).rejects.toThrow(/probing the tier/);
    expect(call).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(100);
    expect(breaker.state()).toBe('closed');
    expect(changes.map((c) => `${c.from}>${c.to}`)).toEqual(['closed>open', 'open>closed']);
    await expect(breaker.run(call)).resolves.toBe('ok');
  });

  it('probes one at a time, every 100 ms at first and doubling up to openMs, while the tier stays down', async () => {
    const { breaker, probes } = probed({ openMs: 400 });
    const start = Date.now();
    await expect(breaker.run(down)).rejects.toThrow();
    await vi.advanceTimersByTimeAsync(2_000);
    const at = probes.map((t) => t - start);
    expect(at.slice(0, 5)).toEqual([100, 300, 700, 1_100, 1_500]);
    // Never more often than every openMs once grown: a dead tier is not hammered.
    for (let i = 3; i < at.length; i++) expect(at[i]! - at[i - 1]!).toBe(400);
    expect(breaker.state()).toBe('open');
  });

  it('a ping that answers while calls keep failing cannot make the circuit flap faster than openMs', async () => {
    const { breaker, probes, setUp } = probed({ openMs: 400 });
    setUp(true);
    const reopened: number[] = [];
    for (let round = 0; round < 5; round++) {
      reopened.push(Date.now());
      await expect(breaker.run(down)).rejects.toThrow();
      await vi.advanceTimersByTimeAsync(400);
      expect(breaker.state()).toBe('closed');
    }
    // From each re-opening to the probe that closed it again.
    expect(probes.map((t, i) => t - reopened[i]!)).toEqual([100, 200, 400, 400, 400]);
    // A call that succeeds resets the schedule: the next outage is probed quickly again.
    await expect(breaker.run(ok)).resolves.toBe('ok');
    const before = probes.length;
    const reopenedAt = Date.now();
    await expect(breaker.run(down)).rejects.toThrow();
    await vi.advanceTimersByTimeAsync(100);
    expect(probes.slice(before).map((t) => t - reopenedAt)).toEqual([100]);
  });

  it('stops probing once disposed (the tier closed), and an in-flight probe changes nothing then', async () => {
    const { breaker, probes } = probed();
    await expect(breaker.run(down)).rejects.toThrow();
    breaker.dispose();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(probes).toEqual([]);
    expect(breaker.state()).toBe('open');
  });
});

describe('guardTier', () => {
  function fakeHot() {
    const calls: string[] = [];
    const method =
      (name: string) =>
      async (..._args: unknown[]): Promise<never> => {
        calls.push(name);
        throw new TierUnavailable('hot', `${name} refused`);
      };
    const tier: HotTier = {
      save: method('save'),
      load: method('load'),
      promote: method('promote'),
      revert: method('revert'),
      seal: method('seal'),
      delete: method('delete'),
      ping: method('ping'),
      outboxBatch: method('outboxBatch'),
      outboxAck: method('outboxAck'),
      outboxSize: method('outboxSize'),
      rememberCredential: method('rememberCredential'),
      recallCredential: method('recallCredential'),
      close: async () => {
        calls.push('close');
      },
    };
    return { tier, calls };
  }
  const key = { tenantId: 't', runId: 'r' };

  it('runs every method but close through the breaker', async () => {
    let clock = 0;
    const { tier, calls } = fakeHot();
    const breaker = createCircuitBreaker({ name: 'hot', failureThreshold: 100, now: () => clock });
    const guarded = guardTier(tier, breaker);
    const invoke: Record<Exclude<keyof HotTier, 'close'>, () => Promise<unknown>> = {
      save: () => guarded.save(key, {} as never, { ttlSeconds: 1 }),
      load: () => guarded.load(key),
      promote: () => guarded.promote(key, {} as never, 1),
      revert: () => guarded.revert(key, 1, 'h'),
      seal: () => guarded.seal(key, 1),
      delete: () => guarded.delete(key),
      ping: () => guarded.ping(),
      outboxBatch: () => guarded.outboxBatch({ savedBefore: 0, limit: 1 }),
      outboxAck: () => guarded.outboxAck([]),
      outboxSize: () => guarded.outboxSize(),
      rememberCredential: () => guarded.rememberCredential('h', 'v', 1),
      recallCredential: () => guarded.recallCredential('h'),
    };
    for (const call of Object.values(invoke)) await expect(call()).rejects.toBeInstanceOf(TierUnavailable);
    expect(breaker.snapshot().consecutiveFailures).toBe(Object.keys(invoke).length);
    expect(calls).toEqual([
      'save',
      'load',
      'promote',
      'revert',
      'seal',
      'delete',
      'ping',
      'outboxBatch',
      'outboxAck',
      'outboxSize',
      'rememberCredential',
      'recallCredential',
    ]);

    // Open it: no method reaches the tier any more, except close.
    await Promise.allSettled(Array.from({ length: 91 }, () => guarded.load(key)));
    expect(breaker.state()).toBe('open');
    calls.length = 0;
    for (const call of Object.values(invoke)) await expect(call()).rejects.toThrow(/circuit open/);
    await guarded.close();
    expect(calls).toEqual(['close']);

    // Once openMs passed, a health-check ping is the trial (and here it fails, so the circuit re-opens).
    clock += 1_000;
    await expect(guarded.ping()).rejects.toThrow('ping refused');
    expect(calls).toEqual(['close', 'ping']);
    expect(breaker.state()).toBe('open');
  });

  it('leaves excluded methods alone, keeps `this`, and hands out stable method references', async () => {
    const { tier, calls } = fakeHot();
    const breaker = createCircuitBreaker({ name: 'hot', failureThreshold: 1 });
    await expect(breaker.run(down)).rejects.toThrow();
    const guarded = guardTier(tier, breaker, { exclude: ['load'] });
    await expect(guarded.load(key)).rejects.toThrow('load refused');
    await expect(guarded.save(key, {} as never, { ttlSeconds: 1 })).rejects.toThrow(/circuit open/);
    expect(calls).toEqual(['load']);
    expect(guarded.ping).toBe(guarded.ping);

    class Counter {
      #n = 0;
      async bump(): Promise<number> {
        return ++this.#n;
      }
      async close(): Promise<number> {
        return this.#n;
      }
    }
    const counter = guardTier(new Counter(), createCircuitBreaker({ name: 'archive' }));
    await counter.bump();
    expect(await counter.close()).toBe(1);

    // A sync method would silently turn async behind the guard: the type refuses such a port.
    // @ts-expect-error size() does not return a Promise
    guardTier({ size: () => 1 }, breaker);
  });
});
