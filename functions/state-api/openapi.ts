/**
 * The OpenAPI 3.0 document of the state API, generated from the same valibot schemas that validate requests
 * (so it cannot drift from what the API accepts). Responses are described in prose and by example shapes.
 */
import { toJsonSchema } from '@valibot/to-json-schema';
import type * as v from 'valibot';
import { ERROR_CODES, type ErrorCode } from '../../lib/http/error-codes.ts';
import {
  CompleteRequestSchema,
  DeepAgentStateSchema,
  IdSchema,
  RestoreRequestSchema,
  StatePersistenceRequestSchema,
} from '../../lib/model/state.ts';
import {
  CheckpointQuerySchema,
  CostQuerySchema,
  ListRunsQuerySchema,
  LoadQuerySchema,
  StatesQuerySchema,
} from './schemas.ts';

type Schema = v.GenericSchema;

// typeMode 'input': describe what a client sends (query strings before they become numbers).
const json = (schema: Schema) =>
  toJsonSchema(schema, { target: 'openapi-3.0', typeMode: 'input', errorMode: 'ignore' });

/** Query parameters from a strict-object schema, one per property. */
function queryParameters(schema: Schema) {
  const object = json(schema) as { properties?: Record<string, object>; required?: string[] };
  return Object.entries(object.properties ?? {}).map(([name, property]) => ({
    name,
    in: 'query',
    required: object.required?.includes(name) ?? false,
    schema: property,
  }));
}

const runIdParameter = { name: 'runId', in: 'path', required: true, schema: json(IdSchema) };
const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});
const ok = (description: string) => ({
  description,
  content: { 'application/json': { schema: { type: 'object' } } },
});
const body = (ref: string) => ({
  required: true,
  content: { 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } },
});
const mutating = [
  { name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', maxLength: 255 } },
];

/** The error codes each operation can answer (lib/http/error-codes.ts says what each means and its status). */
const ANY: readonly ErrorCode[] = ['invalid_request', 'unauthorized', 'internal', 'unavailable'];
const BODY: readonly ErrorCode[] = ['too_large', 'unsupported_media_type'];
const OPERATION_ERRORS = {
  save: [
    ...ANY,
    ...BODY,
    'version_conflict',
    'patch_test_failed',
    'run_completed',
    'idempotency_key_reused',
    'precondition_required',
    'spool_backlog',
  ],
  read: [...ANY, 'not_found'],
  restore: [
    ...ANY,
    ...BODY,
    'not_found',
    'version_conflict',
    'run_completed',
    'idempotency_key_reused',
    'precondition_required',
    'spool_backlog',
  ],
  complete: [...ANY, ...BODY, 'not_found', 'completion_conflict'],
  list: ANY,
} as const satisfies Record<string, readonly ErrorCode[]>;

/** One response per status, naming every code the operation can answer with it. */
function errors(codes: readonly ErrorCode[]): Record<string, unknown> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) {
    const { status } = ERROR_CODES[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return Object.fromEntries(
    [...byStatus].map(([status, list]) => [
      String(status),
      errorResponse(list.map((code) => `\`${code}\`: ${ERROR_CODES[code].description}`).join(' ')),
    ]),
  );
}

export function openApiDocument(): Record<string, unknown> {
  return {
    openapi: '3.0.3',
    info: {
      title: 'Strata state API',
      version: '1.0.0',
      description: 'Persistence for AI-agent runs. See README.md.',
    },
    security: [{ apiKey: [] }],
    paths: {
      '/v1/runs/{runId}/state': {
        put: {
          summary: 'Save a state (whole, or an RFC 6902 patch against baseVersion)',
          parameters: [
            runIdParameter,
            { name: 'If-Match', in: 'header', required: false, schema: { type: 'string' } },
            ...mutating,
          ],
          requestBody: body('StatePersistenceRequest'),
          responses: {
            '200': ok('{ runId, version, hash, durability: "hot" | "durable" | "spooled" }'),
            ...errors(OPERATION_ERRORS.save),
          },
        },
        get: {
          summary: 'Load the latest state or one version',
          parameters: [runIdParameter, ...queryParameters(LoadQuerySchema)],
          responses: {
            '200': ok(
              '{ runId, version, hash, checkpoint, savedAt, state, servedBy }; HEAD: the same without a body',
            ),
            ...errors(OPERATION_ERRORS.read),
          },
        },
      },
      '/v1/runs/{runId}/checkpoints': {
        get: {
          summary: "A run's history, newest first",
          parameters: [runIdParameter, ...queryParameters(CheckpointQuerySchema)],
          responses: { '200': ok('{ runId, checkpoints, nextBefore }'), ...errors(OPERATION_ERRORS.read) },
        },
      },
      '/v1/runs/{runId}/states': {
        get: {
          summary:
            "A run's states in one call: the newest `limit` (default 30, at most 500; paged by `before`) or the versions `from`..`to`, newest first",
          parameters: [runIdParameter, ...queryParameters(StatesQuerySchema)],
          responses: {
            '200': ok(
              '{ runId, states: [{ version, hash, checkpoint, savedAt, durable, state }], nextBefore }',
            ),
            ...errors(OPERATION_ERRORS.read),
          },
        },
      },
      '/v1/runs/{runId}/restore': {
        post: {
          summary: 'Make an earlier version the new head',
          parameters: [
            runIdParameter,
            { name: 'If-Match', in: 'header', required: false, schema: { type: 'string' } },
            ...mutating,
          ],
          requestBody: body('RestoreRequest'),
          responses: {
            '200': ok('a save receipt plus restoredFrom'),
            ...errors(OPERATION_ERRORS.restore),
          },
        },
      },
      '/v1/runs/{runId}/complete': {
        post: {
          summary:
            'Record the final status, cost and tokens, once (the same call again answers the same); the run is queued for the archive',
          parameters: [runIdParameter],
          requestBody: body('CompleteRequest'),
          responses: {
            '200': ok("the run's index row with `completion`, the outcome recorded"),
            ...errors(OPERATION_ERRORS.complete),
          },
        },
      },
      '/v1/runs/{runId}': {
        delete: {
          summary: 'Delete a run from every tier',
          parameters: [runIdParameter],
          responses: { '204': { description: 'deleted' }, ...errors(OPERATION_ERRORS.read) },
        },
      },
      '/v1/runs': {
        get: {
          summary: "List the tenant's runs",
          parameters: queryParameters(ListRunsQuerySchema),
          responses: { '200': ok('{ runs, nextCursor }'), ...errors(OPERATION_ERRORS.list) },
        },
      },
      '/v1/analytics/costs': {
        get: {
          summary: 'Cost and tokens of archived runs, per agent, model or day',
          parameters: queryParameters(CostQuerySchema),
          responses: { '200': ok('{ from, to, groupBy, rows, totals }'), ...errors(OPERATION_ERRORS.list) },
        },
      },
      '/health/persistence': {
        get: {
          summary: 'Each tier: up/down, latency, breaker',
          security: [],
          responses: { '200': ok('accepting writes'), '503': ok('not accepting writes') },
        },
      },
      '/v1/openapi.json': {
        get: {
          summary: 'This document (public: it describes the API and holds no data)',
          security: [],
          responses: { '200': ok('the OpenAPI 3.0 document') },
        },
      },
    },
    components: {
      securitySchemes: {
        apiKey: { type: 'http', scheme: 'bearer', description: 'A Strata API key (sk_strata_…)' },
      },
      schemas: {
        StatePersistenceRequest: json(StatePersistenceRequestSchema),
        DeepAgentState: json(DeepAgentStateSchema),
        RestoreRequest: json(RestoreRequestSchema),
        CompleteRequest: json(CompleteRequestSchema),
        Error: {
          type: 'object',
          required: ['error', 'message'],
          description:
            'Every error answer. Any route may also answer 404 `route_not_found` (no such path) or 405 ' +
            '`method_not_allowed` (with `Allow`).',
          properties: {
            error: { type: 'string', enum: Object.keys(ERROR_CODES), description: 'a stable code' },
            message: { type: 'string', description: 'for people; never carries stored data' },
            requestId: { type: 'string', description: 'also in the log line about this request' },
          },
        },
      },
    },
  };
}
