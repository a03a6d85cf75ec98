/** withDeadline: the one timeout under every tier call (hot, durable and archive guards). */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { withDeadline } from '../../lib/resilience/deadline.ts';

const timedOut = () => new Error('too slow');

afterEach(() => {
  vi.useRealTimers();
});

describe('withDeadline', () => {
  it('answers with the call when it settles in time, and leaves no timer behind', async () => {
    vi.useFakeTimers();
    await expect(withDeadline(1_000, timedOut, async () => 'stored')).resolves.toBe('stored');
    await expect(withDeadline(1_000, timedOut, () => Promise.reject(new Error('refused')))).rejects.toThrow(
      'refused',
    );
    expect(vi.getTimerCount()).toBe(0);
  });

  it('rejects at the deadline with its own error even if the call never settles, and aborts its signal', async () => {
    vi.useFakeTimers();
    let signal: AbortSignal | undefined;
    const answer = withDeadline(250, timedOut, (deadline) => {
      signal = deadline.signal;
      return new Promise<never>(() => {});
    });
    const settled = expect(answer).rejects.toThrow('too slow');
    await vi.advanceTimersByTimeAsync(249);
    expect(signal?.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await settled;
    expect(signal?.aborted).toBe(true);
  });

  it('tells the call when its caller stops waiting, as epoch ms', async () => {
    vi.useFakeTimers({ now: 1_700_000_000_000 });
    let at = 0;
    await withDeadline(300, timedOut, async (deadline) => {
      at = deadline.at;
    });
    expect(at).toBe(1_700_000_000_300);
  });

  it('ignores a call that settles after the deadline (no unhandled rejection)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] }); // setImmediate stays real
    const unhandled = vi.fn();
    process.on('unhandledRejection', unhandled);
    try {
      const late = withDeadline(
        10,
        timedOut,
        () => new Promise((_, reject) => setTimeout(() => reject(new Error('late')), 50)),
      );
      const settled = expect(late).rejects.toThrow('too slow');
      await vi.advanceTimersByTimeAsync(100);
      await settled;
      await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled).not.toHaveBeenCalled();
    } finally {
      process.off('unhandledRejection', unhandled);
    }
  });
});
