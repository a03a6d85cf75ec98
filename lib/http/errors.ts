/**
 * The one place where errors become HTTP: a stable `error` code (lib/http/error-codes.ts lists them all), a
 * message for people, the request id, and useful fields. Messages never carry a tier's own error text (it can
 * quote stored data): that goes to the log line, which carries the same request id.
 */
import {
  CompletionConflict,
  Forbidden,
  IdempotencyMismatch,
  InvalidRequest,
  NotFound,
  PatchTestFailed,
  PreconditionRequired,
  RunCompleted,
  SpoolBacklog,
  TierRejected,
  TierUnavailable,
  TooLarge,
  Unauthorized,
  UnsupportedMediaType,
  VersionConflict,
} from '../errors.ts';
import type { Logger } from '../observability/logger.ts';
import { ERROR_CODES, type ErrorCode } from './error-codes.ts';
import type { Reply } from './types.ts';

const RETRY = { 'retry-after': '1' };

export function errorReply(error: unknown, log: Logger, requestId?: string): Reply {
  const reply = (
    code: ErrorCode,
    message: string,
    extra: Record<string, unknown> = {},
    headers?: Record<string, string>,
  ): Reply => ({
    status: ERROR_CODES[code].status,
    body: { error: code, message, ...extra, ...(requestId !== undefined && { requestId }) },
    ...(headers && { headers }),
  });
  if (error instanceof InvalidRequest)
    return reply('invalid_request', error.message, error.issues ? { issues: error.issues } : {});
  if (error instanceof TierRejected) {
    // The reason and SQLSTATE only: the database's own text (in `cause`) may quote the data.
    log.info(
      { tier: error.tier, reason: error.reason, sqlState: error.sqlState, requestId },
      'a tier refused the data',
    );
    return reply('invalid_request', `a tier refused the data: ${error.reason}`);
  }
  if (error instanceof Unauthorized)
    return reply('unauthorized', error.message, {}, { 'www-authenticate': 'Bearer realm="strata"' });
  if (error instanceof Forbidden) return reply('forbidden', error.message);
  if (error instanceof NotFound) return reply('not_found', error.message);
  if (error instanceof VersionConflict) {
    return reply('version_conflict', error.message, {
      currentVersion: error.currentVersion,
      expectedVersion: error.expectedVersion,
    });
  }
  if (error instanceof PatchTestFailed) return reply('patch_test_failed', error.message);
  if (error instanceof RunCompleted)
    return reply('run_completed', error.message, { recorded: error.recorded });
  if (error instanceof CompletionConflict)
    return reply('completion_conflict', error.message, { recorded: error.recorded });
  if (error instanceof TooLarge) return reply('too_large', error.message, { limit: error.limit });
  if (error instanceof UnsupportedMediaType) return reply('unsupported_media_type', error.message);
  if (error instanceof IdempotencyMismatch) return reply('idempotency_key_reused', error.message);
  if (error instanceof PreconditionRequired) return reply('precondition_required', error.message);
  if (error instanceof TierUnavailable) {
    log.warn({ err: error, tier: error.tier, requestId }, 'tier unavailable');
    return reply(
      'unavailable',
      `the ${error.tier} tier is unavailable; nothing was acknowledged, retry`,
      { tier: error.tier, retryable: true },
      RETRY,
    );
  }
  if (error instanceof SpoolBacklog) {
    return reply(
      'spool_backlog',
      `${error.message}; nothing was acknowledged, retry`,
      { remaining: error.remaining, retryable: true },
      RETRY,
    );
  }
  log.error({ err: error, requestId }, 'unexpected error');
  return reply('internal', 'an unexpected error occurred; nothing was acknowledged');
}
