/**
 * The one timeout of every tier call (hot, durable, archive): the caller gets an answer by the deadline, whether
 * or not the call underneath ever settles. Each tier adds only what is its own: the error it raises at the
 * deadline, and how it classifies the errors the call throws.
 */

export interface Deadline {
  /** Epoch ms at which the caller stops waiting: for a statement that must not take effect after it. */
  readonly at: number;
  /** Aborted at the deadline, for a client that can cancel its request (made on first use). */
  readonly signal: AbortSignal;
}

/**
 * Runs `call`, and rejects with `timedOut()` once `ms` have passed without an answer, aborting `deadline.signal`
 * first. The race answers at the deadline even if the call ignores its signal; the call's own later
 * settlement is then ignored (Promise.race keeps it from surfacing as an unhandled rejection).
 */
export async function withDeadline<T>(
  ms: number,
  timedOut: () => Error,
  call: (deadline: Deadline) => Promise<T>,
): Promise<T> {
  // Most calls (every hot save) never read the signal: no controller for them.
  let abort: AbortController | undefined;
  const deadline: Deadline = {
    at: Date.now() + ms,
    get signal() {
      abort ??= new AbortController();
      return abort.signal;
    },
  };
  let timer: NodeJS.Timeout | undefined;
  const expiry = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      abort?.abort();
      reject(timedOut());
    }, ms);
  });
  try {
    return await Promise.race([call(deadline), expiry]);
  } finally {
    clearTimeout(timer);
  }
}
