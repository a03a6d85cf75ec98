/** The state API's route table (DESIGN.md, "HTTP API v1"). */
import type { Router } from '../../lib/http/router.ts';
import { type HttpMetricsOptions, instrumentedRouter } from '../../lib/observability/http-metrics.ts';
import * as h from './handlers.ts';

/** With `metrics`, every answer is measured (lib/observability/http-metrics.ts). */
export function stateApiRoutes(metrics?: HttpMetricsOptions): Router<h.StateApiDeps> {
  return instrumentedRouter<h.StateApiDeps>(metrics)
    .on('PUT', '/v1/runs/:runId/state', h.putState)
    .on('GET', '/v1/runs/:runId/state', h.getState)
    .on('GET', '/v1/runs/:runId/checkpoints', h.getCheckpoints)
    .on('GET', '/v1/runs/:runId/states', h.getStates)
    .on('POST', '/v1/runs/:runId/restore', h.postRestore)
    .on('POST', '/v1/runs/:runId/complete', h.postComplete)
    .on('DELETE', '/v1/runs/:runId', h.deleteRun)
    .on('GET', '/v1/runs', h.listRuns)
    .on('GET', '/v1/analytics/costs', h.getCosts)
    .on('GET', '/health/persistence', h.getHealth)
    .on('GET', '/v1/openapi.json', h.getOpenApi);
}
