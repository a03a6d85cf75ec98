/**
 * Every durable call runs under a deadline, and whatever the driver throws is classified once, here: Postgres
 * refusing the data itself becomes TierRejected (never retried, never spooled), everything else TierUnavailable.
 */
import {
  InvalidRequest,
  NotFound,
  type RejectionReason,
  TierRejected,
  TierUnavailable,
} from '../../errors.ts';
import { withDeadline } from '../../resilience/deadline.ts';

/**
 * `deadline` (epoch ms) is when the caller stops waiting, for a statement that must not take effect after it
 * (see commit-sql.ts); undefined without a timeout.
 */
export type DurableGuard = <T>(
  operation: string,
  call: (deadline: number | undefined) => Promise<T>,
) => Promise<T>;

/** `timeoutMs` undefined: no deadline (the embedded database cannot hang on a network). */
export function createDurableGuard(timeoutMs: number | undefined): DurableGuard {
  return async (operation, call) => {
    try {
      if (timeoutMs === undefined) return await call(undefined);
      return await withDeadline(
        timeoutMs,
        () => new TierUnavailable('durable', `${operation} took longer than ${timeoutMs} ms`),
        (deadline) => call(deadline.at),
      );
    } catch (error) {
      // Our own answers about the request pass through; anything else came from the database or the network.
      if (
        error instanceof TierUnavailable ||
        error instanceof TierRejected ||
        error instanceof InvalidRequest ||
        error instanceof NotFound
      )
        throw error;
      throw classifyDurableError(operation, error);
    }
  };
}

/**
 * SQLSTATE classes in which Postgres refuses the values a statement carries. Every statement of this tier is
 * parameterised, so within these classes the data is the cause: the same values fail the same way on every
 * retry, on every instance, before and after a restart.
 * - 22 data exception: a NUL in text (22021), a `\u0000` escape in jsonb (22P05), a number out of range
 *   (22003), a timestamp out of range (22008), text that is not the type it is cast to (22P02).
 * - 23 integrity constraint violation: NOT NULL, CHECK (a status outside the enum), foreign key.
 * - 44 WITH CHECK OPTION violation: a row a view's condition refuses.
 * - 54 program limit exceeded: an index row too large (a run field of several KB in a btree), a jsonb value
 *   nested too deep.
 * Deliberately NOT here, so they stay TierUnavailable (503, retried, spooled):
 * - 42 syntax or access rule: parameters never become SQL text, so 42xxx is a missing migration (42P01,
 *   42703) or a revoked privilege (42501): every write fails alike, and turning those into refusals would
 *   make the drain quarantine the whole spool during a bad deploy. Fixing the deploy makes them succeed.
 * - 2B (dependent privileges, a DDL matter), 0A (feature not supported: a code bug), 08 connection, 28 and 3D
 *   (credentials, a missing database), 25 (transaction state, e.g. a read-only replica), 40 (serialization,
 *   deadlock), 53 (resources, a full disk), 55 (object state, 55P03 lock not available), 57 (operator
 *   intervention: admin shutdown, statement timeout), 58 and XX (system, internal), and anything without a
 *   SQLSTATE (network, timeout, the driver itself).
 */
const REJECTING_CLASSES: Readonly<Record<string, RejectionReason>> = {
  '22': 'invalid_data',
  '23': 'constraint_violation',
  '44': 'constraint_violation',
  '54': 'limit_exceeded',
};

/**
 * Codes inside those classes that speak of timing, not of the data. unique_violation: every statement here
 * settles its own keys (ON CONFLICT, or a gate that checked the key in the same snapshot), so one that still
 * escapes lost a race with a concurrent insert, and a retry sees the winner (commit-sql.ts retries it too).
 */
const TRANSIENT_CODES: ReadonlySet<string> = new Set(['23505']);

/** TierRejected when Postgres refused the data itself (see REJECTING_CLASSES), TierUnavailable otherwise. */
export function classifyDurableError(operation: string, error: unknown): TierRejected | TierUnavailable {
  const code = pgErrorCode(error);
  const reason = code && !TRANSIENT_CODES.has(code) ? REJECTING_CLASSES[code.slice(0, 2)] : undefined;
  // The database's text may quote the refused value (a key, a field): it stays in `cause`, out of the message.
  if (reason) return new TierRejected('durable', reason, code, { cause: error });
  return new TierUnavailable('durable', `${operation} failed: ${rootMessage(error)}`, { cause: error });
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
