/** Every archive call runs under a deadline, and whatever the client or server throws becomes TierUnavailable. */
import { InvalidRequest, TierUnavailable } from '../../errors.ts';
import { withDeadline } from '../../resilience/deadline.ts';

/** Runs `call` with an AbortSignal that fires at the deadline; `kind` picks the read or the write deadline. */
export type ArchiveGuard = <T>(
  operation: string,
  kind: 'read' | 'write',
  call: (signal: AbortSignal) => Promise<T>,
) => Promise<T>;

export function createArchiveGuard(
  deadlines: { readonly readMs: number; readonly writeMs: number },
  isClosed: () => boolean,
): ArchiveGuard {
  return async (operation, kind, call) => {
    if (isClosed()) throw new TierUnavailable('archive', `${operation}: the tier was closed`);
    const ms = kind === 'read' ? deadlines.readMs : deadlines.writeMs;
    try {
      // The client aborts its fetch at the deadline; the race answers then even if a fetch ignores it.
      return await withDeadline(
        ms,
        () => new TierUnavailable('archive', `${operation} took longer than ${ms} ms`),
        (deadline) => call(deadline.signal),
      );
    } catch (error) {
      // Our own verdicts on the request pass through; anything else came from the network or the server.
      if (error instanceof TierUnavailable || error instanceof InvalidRequest) throw error;
      const message = error instanceof Error ? error.message : String(error);
      throw new TierUnavailable('archive', `${operation} failed: ${message}`, { cause: error });
    }
  };
}
