/**
 * The OpenAPI 3.0 document of the state API, generated from the same valibot schemas that validate requests
 * (so it cannot drift from what the API accepts). Responses are described in prose and by example shapes.
 */
import { toJsonSchema } from '@valibot/to-json-schema';
import type * as v from 'valibot';
import {
  CompleteRequestSchema,
  DeepAgentStateSchema,
  IdSchema,
  RestoreRequestSchema,
  StatePersistenceRequestSchema,
} from '../../lib/model/state.ts';
import { CheckpointQuerySchema, CostQuerySchema, ListRunsQuerySchema, LoadQuerySchema } from './schemas.ts';

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
const common = {
  '400': errorResponse('invalid_request: the body, path or query is not valid; nothing changed'),
  '401': errorResponse('unauthorized: no valid API key'),
  '404': errorResponse('not_found: no such run for this tenant (a foreign run answers the same)'),
  '503': errorResponse('unavailable: a tier could not store or read it; nothing was acknowledged, retry'),
};
const mutating = [
  { name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', maxLength: 255 } },
];

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
            '409': errorResponse('version_conflict (with currentVersion) or patch_test_failed'),
            '413': errorResponse('too_large'),
            '422': errorResponse('idempotency_key_reused'),
            '428': errorResponse('precondition_required: name the version this save builds on'),
            ...common,
            '503': errorResponse(
              'unavailable (a tier could not store it), or spool_backlog (its base waits in the fallback spool ' +
                'and is being replayed); nothing was acknowledged, retry',
            ),
          },
        },
        get: {
          summary: 'Load the latest state or one version',
          parameters: [runIdParameter, ...queryParameters(LoadQuerySchema)],
          responses: {
            '200': ok('{ runId, version, hash, checkpoint, savedAt, state, servedBy }'),
            ...common,
          },
        },
      },
      '/v1/runs/{runId}/checkpoints': {
        get: {
          summary: "A run's history, newest first",
          parameters: [runIdParameter, ...queryParameters(CheckpointQuerySchema)],
          responses: { '200': ok('{ runId, checkpoints, nextBefore }'), ...common },
        },
      },
      '/v1/runs/{runId}/restore': {
        post: {
          summary: 'Make an earlier version the new head',
          parameters: [runIdParameter, ...mutating],
          requestBody: body('RestoreRequest'),
          responses: {
            '200': ok('a save receipt plus restoredFrom'),
            '409': errorResponse('version_conflict'),
            ...common,
          },
        },
      },
      '/v1/runs/{runId}/complete': {
        post: {
          summary: 'Record the final status, cost and tokens; the run is queued for the archive',
          parameters: [runIdParameter],
          requestBody: body('CompleteRequest'),
          responses: { '200': ok("the run's index row"), ...common },
        },
      },
      '/v1/runs/{runId}': {
        delete: {
          summary: 'Delete a run from every tier',
          parameters: [runIdParameter],
          responses: { '204': { description: 'deleted' }, ...common },
        },
      },
      '/v1/runs': {
        get: {
          summary: "List the tenant's runs",
          parameters: queryParameters(ListRunsQuerySchema),
          responses: { '200': ok('{ runs, nextCursor }'), ...common },
        },
      },
      '/v1/analytics/costs': {
        get: {
          summary: 'Cost and tokens of archived runs, per agent, model or day',
          parameters: queryParameters(CostQuerySchema),
          responses: { '200': ok('{ from, to, groupBy, rows, totals }'), ...common },
        },
      },
      '/health/persistence': {
        get: {
          summary: 'Each tier: up/down, latency, breaker',
          security: [],
          responses: { '200': ok('accepting writes'), '503': ok('not accepting writes') },
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
          properties: {
            error: { type: 'string', description: 'a stable code' },
            message: { type: 'string' },
          },
        },
      },
    },
  };
}
