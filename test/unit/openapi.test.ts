import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { openApiDocument } from '../../functions/state-api/openapi.ts';
import { stateApiRoutes } from '../../functions/state-api/routes.ts';
import { StatePersistenceRequestSchema } from '../../lib/model/state.ts';

type Doc = {
  openapi: string;
  paths: Record<string, Record<string, { parameters?: Array<{ name: string; in: string }> }>>;
  components: {
    schemas: Record<
      string,
      { properties?: Record<string, { enum?: string[] }>; additionalProperties?: unknown }
    >;
  };
};

describe('OpenAPI document', () => {
  const doc = openApiDocument() as Doc;

  it('describes every route the router serves', async () => {
    const routes = [
      ['PUT', '/v1/runs/{runId}/state'],
      ['GET', '/v1/runs/{runId}/state'],
      ['GET', '/v1/runs/{runId}/checkpoints'],
      ['GET', '/v1/runs/{runId}/states'],
      ['POST', '/v1/runs/{runId}/restore'],
      ['POST', '/v1/runs/{runId}/complete'],
      ['DELETE', '/v1/runs/{runId}'],
      ['GET', '/v1/runs'],
      ['GET', '/v1/analytics/costs'],
      ['GET', '/health/persistence'],
    ] as const;
    for (const [method, path] of routes)
      expect(doc.paths[path]?.[method.toLowerCase()], `${method} ${path}`).toBeDefined();
    // And the router really serves each documented path (anything but a 404 route_not_found).
    const router = stateApiRoutes();
    for (const [method, path] of routes) {
      const reply = await router
        .dispatch(
          {
            requestId: 'test',
            method,
            path: path.replace('{runId}', 'r1'),
            query: new URLSearchParams(),
            header: () => undefined,
            rawBody: undefined,
          },
          { auth: { authenticate: async () => Promise.reject(new Error('stop here')) } } as never,
        )
        .catch(() => ({ status: 0, body: null }));
      expect((reply.body as { error?: string } | null)?.error, `${method} ${path}`).not.toBe(
        'route_not_found',
      );
    }
  });

  it('derives request schemas from the valibot schemas: strict objects, the same enums', () => {
    const request = doc.components.schemas.StatePersistenceRequest!;
    expect(request.additionalProperties).toBe(false);
    expect(request.properties?.checkpoint?.enum).toEqual(['AUTO', 'CRITICAL', 'FULL']);
    expect(Object.keys(request.properties ?? {}).sort()).toEqual(
      Object.keys(StatePersistenceRequestSchema.pipe[0].entries).sort(),
    );
    expect(
      v.is(StatePersistenceRequestSchema, {
        state: { agentName: 'a', status: 'running', step: 0, data: 1 },
        expectedVersion: 0,
      }),
    ).toBe(true);
  });

  it('documents query parameters from the query schemas', () => {
    const names = doc.paths['/v1/runs']!.get!.parameters!.map((p) => p.name).sort();
    expect(names).toEqual(['agent', 'cursor', 'limit', 'parentRunId', 'status']);
  });
});
