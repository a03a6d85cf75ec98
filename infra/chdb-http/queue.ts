/**
 * One-at-a-time execution for the chDB engine. chDB is one in-process engine bound to one data
 * directory and makes no promise about concurrent use, so concurrent client calls are queued
 * rather than raced, and a query whose caller gave up never overlaps the next one.
 */

/** A FIFO of async tasks; each starts only after the previous one has settled. */
export class SerialQueue {
  #tail: Promise<unknown> = Promise.resolve();

  /**
   * Runs `task` after every task queued before it. If `signal` aborts while the task waits, it is
   * skipped; if it aborts while the task runs, the caller is answered at once with the abort
   * reason but the queue still waits for the task (chDB cannot interrupt a running query), so
   * the next task never overlaps it.
   */
  run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const result = this.#tail.then(() => {
      signal?.throwIfAborted();
      return task();
    });
    this.#tail = result.then(
      () => undefined,
      () => undefined,
    );
    return signal ? settleOnAbort(result, signal) : result;
  }

  /** Resolves once every task queued so far has settled. */
  idle(): Promise<void> {
    return this.#tail.then(() => undefined);
  }
}

function settleOnAbort<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    work.catch(() => undefined);
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
