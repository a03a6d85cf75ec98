/**
 * Every error code the HTTP API can answer, with its status: the one list the error mapping (errors.ts), the
 * README's error table, the OpenAPI document and the fuzz suite are checked against.
 */
export const ERROR_CODES = {
  invalid_request: {
    status: 400,
    description:
      'The request is malformed: bad JSON, a field out of range, an unknown field, a bad header or path segment. Nothing was changed.',
  },
  unauthorized: { status: 401, description: 'No valid API key (or OIDC token, for scheduled functions).' },
  forbidden: {
    status: 403,
    description: 'Authenticated but not allowed (a scheduler token from an unexpected service account).',
  },
  not_found: {
    status: 404,
    description: 'The run (or version) does not exist for this tenant; a foreign run answers the same.',
  },
  route_not_found: { status: 404, description: 'No route has this path.' },
  method_not_allowed: {
    status: 405,
    description: 'The path exists but not with this method; `Allow` lists the methods.',
  },
  version_conflict: {
    status: 409,
    description:
      'The save (or restore) builds on a version that is not the head; `currentVersion` says which is.',
  },
  patch_test_failed: { status: 409, description: 'An RFC 6902 `test` operation of the patch did not hold.' },
  run_completed: {
    status: 409,
    description: 'The run was completed: it takes no more saves or restores; `recorded` is its outcome.',
  },
  completion_conflict: {
    status: 409,
    description: 'The run was already completed with another outcome; `recorded` is the first one.',
  },
  too_large: {
    status: 413,
    description: 'The body or the state (after a patch) exceeds a limit; `limit` is the limit in bytes.',
  },
  unsupported_media_type: {
    status: 415,
    description:
      'The body is not `application/json` in UTF-8, or carries a `Content-Encoding` this API does not take.',
  },
  idempotency_key_reused: {
    status: 422,
    description: 'The Idempotency-Key was already used with another request body.',
  },
  precondition_required: {
    status: 428,
    description: 'A save or restore must name the version it builds on (`If-Match` or `expectedVersion`).',
  },
  internal: {
    status: 500,
    description:
      "An unexpected error; nothing was acknowledged. The answer's `requestId` is in the log line that explains it.",
  },
  unavailable: {
    status: 503,
    description: 'A tier the request needs is unreachable; nothing was acknowledged: retry (`Retry-After`).',
  },
  spool_backlog: {
    status: 503,
    description: 'Spooled versions of this run are still being replayed; each retry makes progress.',
  },
} as const satisfies Record<string, { readonly status: number; readonly description: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;
