/** The one place where errors become HTTP: a stable `error` code, a message for people, and useful fields. */
import {
  Forbidden,
  IdempotencyMismatch,
  InvalidRequest,
  InvalidState,
  NotFound,
  PatchTestFailed,
  PreconditionRequired,
  SpoolBacklog,
  TierRejected,
  TierUnavailable,
  TooLarge,
  Unauthorized,
  VersionConflict,
} from '../errors.ts';
import type { Logger } from '../observability/logger.ts';
import type { Reply } from './types.ts';

export function errorReply(error: unknown, log: Logger): Reply {
  const reply = (
    status: number,
    code: string,
    message: string,
    extra: Record<string, unknown> = {},
    headers?: Record<string, string>,
  ): Reply => ({
    status,
    body: { error: code, message, ...extra },
    ...(headers && { headers }),
  });
  if (error instanceof InvalidRequest) {
    return reply(400, 'invalid_request', error.message, error.issues ? { issues: error.issues } : {});
  }
  if (error instanceof TierRejected)
    return reply(400, 'invalid_request', `a tier refused the data: ${error.reason}`);
  if (error instanceof Unauthorized) {
    return reply(401, 'unauthorized', error.message, {}, { 'www-authenticate': 'Bearer realm="strata"' });
  }
  if (error instanceof Forbidden) return reply(403, 'forbidden', error.message);
  if (error instanceof NotFound) return reply(404, 'not_found', error.message);
  if (error instanceof VersionConflict) {
    return reply(409, 'version_conflict', error.message, {
      currentVersion: error.currentVersion,
      expectedVersion: error.expectedVersion,
    });
  }
  if (error instanceof PatchTestFailed) return reply(409, 'patch_test_failed', error.message);
  if (error instanceof InvalidState) return reply(409, 'invalid_state', error.message);
  if (error instanceof TooLarge) return reply(413, 'too_large', error.message, { limit: error.limit });
  if (error instanceof IdempotencyMismatch) return reply(422, 'idempotency_key_reused', error.message);
  if (error instanceof PreconditionRequired) return reply(428, 'precondition_required', error.message);
  if (error instanceof TierUnavailable) {
    log.warn({ err: error, tier: error.tier }, 'tier unavailable');
    return reply(
      503,
      'unavailable',
      `${error.message}; nothing was acknowledged, retry`,
      { tier: error.tier, retryable: true },
      {
        'retry-after': '1',
      },
    );
  }
  if (error instanceof SpoolBacklog) {
    return reply(
      503,
      'spool_backlog',
      `${error.message}; nothing was acknowledged, retry`,
      { remaining: error.remaining, retryable: true },
      { 'retry-after': '1' },
    );
  }
  log.error({ err: error }, 'unexpected error');
  return reply(500, 'internal', 'an unexpected error occurred; nothing was acknowledged');
}
