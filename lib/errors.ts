/** The typed errors of Strata. They are mapped to HTTP in exactly one place: lib/http/errors.ts. */

export type TierName = 'hot' | 'durable' | 'archive' | 'fallback';

/** A tier did not answer, answered with an error, or took longer than its timeout. Retryable. */
export class TierUnavailable extends Error {
  override readonly name = 'TierUnavailable';
  constructor(
    readonly tier: TierName,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${tier} tier unavailable: ${message}`, options);
  }
}

/** Why a tier refused data. Stable codes, safe to show anywhere: they never quote the data. */
export type RejectionReason = 'invalid_data' | 'constraint_violation' | 'limit_exceeded';

/**
 * A tier answered and refused the data itself (a NUL in a text column, a value out of range): the same write
 * fails again however often it is retried, so it is not retryable, and it proves the tier is up. The message
 * names the reason and the SQLSTATE only; the database's own text, which may quote the data, stays in `cause`.
 */
export class TierRejected extends Error {
  override readonly name = 'TierRejected';
  constructor(
    readonly tier: TierName,
    readonly reason: RejectionReason,
    /** The SQLSTATE the refusal came with, when the tier is Postgres. */
    readonly sqlState: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(`${tier} tier refused the data: ${reason}${sqlState ? ` (SQLSTATE ${sqlState})` : ''}`, options);
  }
}

/**
 * The save builds on versions that wait in the fallback spool; a request replays a bounded number of them into
 * Postgres and asks to be retried for the rest (each retry makes progress; the drain does the same). Retryable.
 */
export class SpoolBacklog extends Error {
  override readonly name = 'SpoolBacklog';
  constructor(readonly remaining: number) {
    super(`${remaining} spooled versions of this run are still being replayed into the durable tier`);
  }
}

/** The caller named a version that is not the run's head. */
export class VersionConflict extends Error {
  override readonly name = 'VersionConflict';
  constructor(
    readonly currentVersion: number,
    readonly expectedVersion: number,
  ) {
    super(`expected version ${expectedVersion} but the run is at version ${currentVersion}`);
  }
}

/** The request is malformed. `issues` is a flattened list a person can act on. */
export class InvalidRequest extends Error {
  override readonly name = 'InvalidRequest';
  constructor(
    message: string,
    readonly issues?: Readonly<Record<string, readonly string[] | undefined>>,
  ) {
    super(message);
  }
}

/** The body or the state exceeds a configured limit. */
export class TooLarge extends Error {
  override readonly name = 'TooLarge';
  constructor(
    message: string,
    readonly limit: number,
  ) {
    super(message);
  }
}

/** A run (or one of its versions) does not exist for this tenant. A foreign run is reported the same way. */
export class NotFound extends Error {
  override readonly name = 'NotFound';
  constructor(message: string) {
    super(message);
  }
}

/** The same Idempotency-Key was used with a different request. */
export class IdempotencyMismatch extends Error {
  override readonly name = 'IdempotencyMismatch';
  constructor(readonly key: string) {
    super(`Idempotency-Key "${key}" was already used with a different request body`);
  }
}

/** No valid credential. */
export class Unauthorized extends Error {
  override readonly name = 'Unauthorized';
}

/** A save did not name the version it builds on. */
export class PreconditionRequired extends Error {
  override readonly name = 'PreconditionRequired';
}

/** An RFC 6902 `test` operation of a patch did not hold: the state is not what the writer believed. */
export class PatchTestFailed extends Error {
  override readonly name = 'PatchTestFailed';
}

/** The caller is authenticated but not allowed (e.g. a scheduler token from an unexpected service account). */
export class Forbidden extends Error {
  override readonly name = 'Forbidden';
}

/** The body is not JSON in UTF-8 (another Content-Type, a charset or a Content-Encoding this API does not take). */
export class UnsupportedMediaType extends Error {
  override readonly name = 'UnsupportedMediaType';
}

/** What `complete` recorded for a run: its final outcome, fixed once recorded. */
export interface RecordedCompletion {
  readonly status: 'completed' | 'failed';
  readonly completedAt: number;
  readonly model: string | null;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly costUsd: number;
}

/** The run was completed: its state is final, so a save or a restore is refused. */
export class RunCompleted extends Error {
  override readonly name = 'RunCompleted';
  constructor(
    readonly runId: string,
    readonly recorded: RecordedCompletion | null,
  ) {
    super(`run "${runId}" was completed${recorded ? ` (${recorded.status})` : ''}: it takes no more saves`);
  }
}

/** `complete` was called again with another outcome than the one recorded first. */
export class CompletionConflict extends Error {
  override readonly name = 'CompletionConflict';
  constructor(
    readonly runId: string,
    readonly recorded: RecordedCompletion,
  ) {
    super(`run "${runId}" was already completed with another outcome; the first one stands`);
  }
}
