/** Every durable call runs under a deadline, and whatever the driver throws becomes TierUnavailable. */
import { InvalidRequest, NotFound, TierUnavailable } from '../../errors.ts';

/**
 * `deadline` (epoch ms) is when the caller stops waiting, for a statement that must not take effect after it
 * (see commit-sql.ts); undefined without a timeout.
 */
export type Guard = <T>(operation: string, call: (deadline: number | undefined) => Promise<T>) => Promise<T>;

/** `timeoutMs` undefined: no deadline (the embedded database cannot hang on a network). */
export function createGuard(timeoutMs: number | undefined): Guard {
  return async (operation, call) => {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      if (timeoutMs === undefined) return;
      timer = setTimeout(
        () => reject(new TierUnavailable('durable', `${operation} took longer than ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([
        call(timeoutMs === undefined ? undefined : Date.now() + timeoutMs),
        deadline,
      ]);
    } catch (error) {
      // Our own answers about the request pass through; anything else came from the database or the network.
      if (error instanceof TierUnavailable || error instanceof InvalidRequest || error instanceof NotFound)
        throw error;
      throw new TierUnavailable('durable', `${operation} failed: ${rootMessage(error)}`, { cause: error });
    } finally {
      clearTimeout(timer);
    }
  };
}

/** The SQLSTATE of a Postgres error, looked up along the `cause` chain (drizzle wraps driver errors). */
export function pgErrorCode(error: unknown): string | undefined {
  for (let e = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

/**
 * The innermost message: drizzle's wrapper repeats the query and its parameters (whole payloads), which
 * do not belong in an error message.
 */
function rootMessage(error: unknown): string {
  let e = error;
  for (let depth = 0; e instanceof Error && e.cause instanceof Error && depth < 5; depth++) e = e.cause;
  return e instanceof Error ? e.message : String(e);
}
