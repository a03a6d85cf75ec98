/** The state API's query schemas (bodies are in lib/model/state.ts). The OpenAPI document is generated from both. */
import * as v from 'valibot';
import { queryInt } from '../../lib/http/input.ts';
import { IdSchema, RunStatusSchema } from '../../lib/model/state.ts';

export const LoadQuerySchema = v.strictObject({ version: v.optional(queryInt(1, Number.MAX_SAFE_INTEGER)) });

export const CheckpointQuerySchema = v.strictObject({
  limit: v.optional(queryInt(1, 1000), '50'),
  before: v.optional(queryInt(1, Number.MAX_SAFE_INTEGER)),
});

/** `GET /v1/runs/{runId}/states`: the newest `limit` (paged by `before`), or a range `from`..`to`. */
export const StatesQuerySchema = v.pipe(
  v.strictObject({
    limit: v.optional(queryInt(1, 500), '30'),
    before: v.optional(queryInt(1, Number.MAX_SAFE_INTEGER)),
    from: v.optional(queryInt(1, Number.MAX_SAFE_INTEGER)),
    to: v.optional(queryInt(1, Number.MAX_SAFE_INTEGER)),
  }),
  v.check(
    (q) => q.from === undefined || q.to === undefined || q.from <= q.to,
    '"from" must not be after "to"',
  ),
);

export const ListRunsQuerySchema = v.strictObject({
  status: v.optional(RunStatusSchema),
  agent: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(200))),
  parentRunId: v.optional(IdSchema),
  limit: v.optional(queryInt(1, 1000), '50'),
  cursor: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(512))),
});

const instant = v.pipe(
  v.string(),
  v.regex(/^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2}))?$/, 'must be an ISO 8601 date or date-time'),
  v.transform((text) => Date.parse(text)),
  v.check((ms) => Number.isFinite(ms), 'must be a real date'),
);
export const CostQuerySchema = v.pipe(
  v.strictObject({
    from: v.optional(instant),
    to: v.optional(instant),
    groupBy: v.optional(v.picklist(['agent', 'model', 'day']), 'day'),
  }),
  v.check((q) => q.from === undefined || q.to === undefined || q.from < q.to, '"from" must be before "to"'),
);
