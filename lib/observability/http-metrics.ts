/**
 * State-API metrics from outside the handlers: a Router whose every answer counts into strata_requests_total
 * and strata_request_duration_seconds, and whose save and load answers feed strata_saves_total,
 * strata_loads_total and strata_failover_total (definitions in metrics-catalog.ts). All of one request goes out
 * as ONE event, so the log sink writes one line per request.
 */
import { errorReply } from '../http/errors.ts';
import { Router } from '../http/router.ts';
import type { ApiRequest, Handler, Reply } from '../http/types.ts';
import type { BreakerState } from '../resilience/breaker.ts';
import { silentLogger } from './logger.ts';
import type { Measurement } from './metrics-catalog.ts';
import type { Metrics } from './metrics-port.ts';

/** The route label of an answer the router gave itself (404 route_not_found, 405): no pattern matched. */
export const UNMATCHED_ROUTE = 'unmatched';

export interface HttpMetricsOptions {
  readonly metrics: Metrics;
  /** The hot tier's breaker state now; undefined when there is none (a save answered durable is then no failover). */
  readonly hotBreaker?: () => BreakerState | undefined;
  /** Routes whose answers are saves (a receipt with `durability`). @default PUT state and POST restore */
  readonly saveRoutes?: ReadonlySet<string>;
  /** Routes whose answers are loads (with `servedBy`). @default GET state */
  readonly loadRoutes?: ReadonlySet<string>;
}

const SAVES = new Set(['PUT /v1/runs/:runId/state', 'POST /v1/runs/:runId/restore']);
const LOADS = new Set(['GET /v1/runs/:runId/state']);

/** A Router that measures every answer; routes are added with `on` as on any Router. */
export class InstrumentedRouter<Deps> extends Router<Deps> {
  readonly #options: HttpMetricsOptions;
  /** The pattern each in-flight request matched, set by its handler's wrapper. */
  readonly #matched = new WeakMap<ApiRequest, string>();

  constructor(options: HttpMetricsOptions) {
    super();
    this.#options = options;
  }

  override on(method: string, pattern: string, handler: Handler<Deps>): this {
    const route = `${method} ${pattern}`;
    return super.on(method, pattern, (request, deps, params) => {
      this.#matched.set(request, route);
      return handler(request, deps, params);
    });
  }

  override async dispatch(request: ApiRequest, deps: Deps): Promise<Reply> {
    const started = performance.now();
    let reply: Reply | undefined;
    let failure: unknown;
    try {
      reply = await super.dispatch(request, deps);
    } catch (error) {
      failure = error;
    }
    // A thrown error is answered by the HTTP adapter (lib/http/errors.ts); this only learns its status, and
    // rethrows so the adapter maps and logs it exactly as without metrics.
    const status = reply?.status ?? errorReply(failure, silentLogger).status;
    this.#record(request, status, reply?.body, (performance.now() - started) / 1000);
    if (reply) return reply;
    throw failure;
  }

  #record(request: ApiRequest, status: number, body: unknown, seconds: number): void {
    const route = this.#matched.get(request);
    const labels = {
      route: route ? route.slice(route.indexOf(' ') + 1) : UNMATCHED_ROUTE,
      method: request.method,
    };
    const event: Measurement[] = [
      { name: 'strata_requests_total', labels: { ...labels, status: String(status) }, value: 1 },
      { name: 'strata_request_duration_seconds', labels, value: seconds },
    ];
    if (route && (this.#options.saveRoutes ?? SAVES).has(route)) event.push(...this.#save(status, body));
    if (route && (this.#options.loadRoutes ?? LOADS).has(route)) event.push(...load(status, body));
    this.#options.metrics.event(event);
  }

  #save(status: number, body: unknown): Measurement[] {
    if (status !== 200) {
      const outcome = status < 500 ? 'refused' : 'failed';
      return [{ name: 'strata_saves_total', labels: { durability: 'none', outcome }, value: 1 }];
    }
    const durability = field(body, 'durability');
    const saved: Measurement = {
      name: 'strata_saves_total',
      labels: { durability, outcome: 'acknowledged' },
      value: 1,
    };
    const hot = this.#options.hotBreaker?.();
    const skipped =
      durability === 'spooled'
        ? 'durable'
        : durability === 'durable' && hot && hot !== 'closed'
          ? 'hot'
          : null;
    if (!skipped) return [saved];
    return [saved, { name: 'strata_failover_total', labels: { operation: 'save', tier: skipped }, value: 1 }];
  }
}

function load(status: number, body: unknown): Measurement[] {
  const servedBy = status === 200 ? field(body, 'servedBy') : 'none';
  const loaded: Measurement = { name: 'strata_loads_total', labels: { served_by: servedBy }, value: 1 };
  if (servedBy === 'hot' || servedBy === 'none') return [loaded];
  return [loaded, { name: 'strata_failover_total', labels: { operation: 'load', tier: 'hot' }, value: 1 }];
}

/** A string field of a reply body; 'none' when the body has none (a handler that changed shape, say). */
function field(body: unknown, name: string): string {
  const value =
    typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[name] : undefined;
  return typeof value === 'string' ? value : 'none';
}

/** The router of `stateApiRoutes`: measured when `metrics` is given and not off, plain otherwise. */
export function instrumentedRouter<Deps>(options: HttpMetricsOptions | undefined): Router<Deps> {
  return options && options.metrics.kind !== 'off'
    ? new InstrumentedRouter<Deps>(options)
    : new Router<Deps>();
}
