/** The state model: what an agent saves (DeepAgentState) and how it asks to save it (StatePersistenceRequest). */
import * as v from 'valibot';

/** Run, thread and user ids: URL-safe, bounded, so they can sit in paths and keys unescaped. */
export const IdSchema = v.pipe(
  v.string(),
  v.minLength(1),
  v.maxLength(128),
  v.regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'use letters, digits and . _ : - (not starting with a symbol)'),
);

/**
 * Text the run index stores in Postgres columns (agent name, model, tags). Postgres text cannot hold U+0000,
 * and a lone surrogate is not UTF-8 at all: both are refused here, at the boundary, instead of being refused
 * by the database mid-save (where a data error once looked like an outage and was spooled forever).
 * `data` has no such rule: it is stored as canonical JSON text, in which both are escapes (`\u0000`).
 */
const indexedText = (maxLength: number) =>
  v.pipe(
    v.string(),
    v.maxLength(maxLength),
    v.check((text) => !text.includes('\u0000'), 'must not contain the NUL character (U+0000)'),
    v.check((text) => text.isWellFormed(), 'must be well-formed Unicode (no lone surrogates)'),
  );

export const RunStatusSchema = v.picklist(['running', 'paused', 'completed', 'failed']);

const count = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(Number.MAX_SAFE_INTEGER));

export const StateMetadataSchema = v.strictObject({
  model: v.optional(indexedText(200)),
  inputTokens: v.optional(count),
  outputTokens: v.optional(count),
  costUsd: v.optional(v.pipe(v.number(), v.minValue(0), v.maxValue(1e9))),
  tags: v.optional(v.pipe(v.array(indexedText(100)), v.maxLength(50))),
});

export const DeepAgentStateSchema = v.strictObject({
  agentName: v.pipe(indexedText(200), v.minLength(1)),
  parentRunId: v.optional(IdSchema),
  threadId: v.optional(IdSchema),
  userId: v.optional(IdSchema),
  status: RunStatusSchema,
  step: count,
  /** The agent's own state: any JSON. Its size and depth are bounded by the request limits. */
  data: v.unknown(),
  metadata: v.optional(StateMetadataSchema),
});
export type DeepAgentState = v.InferOutput<typeof DeepAgentStateSchema>;
export type StateMetadata = v.InferOutput<typeof StateMetadataSchema>;

const JsonPointerSchema = v.pipe(
  v.string(),
  v.regex(/^(\/([^~]|~[01])*)*$/, 'must be a JSON Pointer (RFC 6901)'),
);

/** RFC 6902 operations, strict: an operation with a stray member is refused. */
export const PatchOperationSchema = v.variant('op', [
  v.strictObject({ op: v.literal('add'), path: JsonPointerSchema, value: v.unknown() }),
  v.strictObject({ op: v.literal('remove'), path: JsonPointerSchema }),
  v.strictObject({ op: v.literal('replace'), path: JsonPointerSchema, value: v.unknown() }),
  v.strictObject({ op: v.literal('move'), from: JsonPointerSchema, path: JsonPointerSchema }),
  v.strictObject({ op: v.literal('copy'), from: JsonPointerSchema, path: JsonPointerSchema }),
  v.strictObject({ op: v.literal('test'), path: JsonPointerSchema, value: v.unknown() }),
]);
export type PatchOperation = v.InferOutput<typeof PatchOperationSchema>;

export const CheckpointTypeSchema = v.picklist(['AUTO', 'CRITICAL', 'FULL']);

const version = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(Number.MAX_SAFE_INTEGER));

export const StatePersistenceRequestSchema = v.pipe(
  v.strictObject({
    checkpoint: v.optional(CheckpointTypeSchema, 'AUTO'),
    state: v.optional(DeepAgentStateSchema),
    patch: v.optional(v.pipe(v.array(PatchOperationSchema), v.minLength(1), v.maxLength(1000))),
    /** The version a patch applies to. */
    baseVersion: v.optional(version),
    /** Compare-and-set: the version this save builds on (0 for a new run). Defaults to If-Match, then baseVersion. */
    expectedVersion: v.optional(version),
    /** TTL of the hot copy; the tenant's plan gives the default. */
    ttlSeconds: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(90 * 24 * 3600))),
  }),
  v.check(
    (request) => (request.state === undefined) !== (request.patch === undefined),
    'send exactly one of "state" or "patch"',
  ),
  v.check(
    (request) => request.patch === undefined || request.baseVersion !== undefined,
    'a "patch" needs the "baseVersion" it applies to',
  ),
  // One way to name the version a save builds on: a whole state names it with expectedVersion (or If-Match), a
  // patch with baseVersion, which is also its compare-and-set version (an If-Match may only repeat it).
  v.check(
    (request) => request.state === undefined || request.baseVersion === undefined,
    '"baseVersion" goes with a "patch"; a whole "state" names the version it builds on with "expectedVersion"',
  ),
  v.check(
    (request) => request.patch === undefined || request.expectedVersion === undefined,
    'a "patch" names the version it builds on with "baseVersion" only: leave out "expectedVersion"',
  ),
);
export type StatePersistenceRequest = v.InferOutput<typeof StatePersistenceRequestSchema>;
export type StatePersistenceRequestInput = v.InferInput<typeof StatePersistenceRequestSchema>;

export const RestoreRequestSchema = v.strictObject({
  version: v.pipe(version, v.minValue(1)),
  expectedVersion: v.optional(version),
});
export type RestoreRequest = v.InferOutput<typeof RestoreRequestSchema>;

export const CompleteRequestSchema = v.strictObject({
  status: v.picklist(['completed', 'failed']),
  metadata: v.optional(StateMetadataSchema),
});
export type CompleteRequest = v.InferOutput<typeof CompleteRequestSchema>;
