/**
 * A Strata state-api on the real engines, served by functions-framework's test server and driven with
 * supertest — the same path a deployed function takes, minus the network.
 */
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import * as ff from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import request from 'supertest';
import { stateApiRoutes } from '../../functions/state-api/routes.ts';
import { generateApiKey, hashApiKey } from '../../lib/auth/api-keys.ts';
import { type Config, loadConfig } from '../../lib/config.ts';
import { expressHandler } from '../../lib/http/express.ts';
import type { LifecycleDeps } from '../../lib/lifecycle/deps.ts';
import { type Logger, silentLogger } from '../../lib/observability/logger.ts';
import { lifecycleDeps } from '../../lib/runtime/lifecycle.ts';
import { stateApiDeps } from '../../lib/runtime/state-api.ts';
import type { ArchiveTier } from '../../lib/tiers/archive/port.ts';
import type { WithArchiveQueue, WithRunScan } from '../../lib/tiers/durable/archive-queue-port.ts';
import type { DurableTier, PlanName, TenantDirectory } from '../../lib/tiers/durable/port.ts';
import type { HotTier } from '../../lib/tiers/hot/port.ts';
import { startRealEngines } from './real-engines.ts';

type Headers = Record<string, string>;

export interface StrataFixture {
  readonly hot: HotTier;
  readonly durable: DurableTier & TenantDirectory & WithArchiveQueue & WithRunScan;
  /** Present when started with `archive: true`. */
  readonly archive?: ArchiveTier;
  readonly lifecycle?: LifecycleDeps;
  readonly config: Config;
  createTenant(plan: PlanName): Promise<{ tenantId: string; apiKey: string }>;
  tenantOf(apiKey: string): string;
  put(apiKey: string, runId: string, body: unknown, headers?: Headers): Promise<request.Response>;
  get(apiKey: string, path: string): Promise<request.Response>;
  post(apiKey: string, path: string, body: unknown): Promise<request.Response>;
  req(method: string, apiKey: string, path: string, body?: unknown): Promise<request.Response>;
  /** A body sent as is, for malformed input. */
  raw(
    method: string,
    apiKey: string,
    path: string,
    body: string,
    headers: Headers,
  ): Promise<request.Response>;
  /** A call with the given headers and no API key of ours. */
  anonymous(method: string, path: string, body: unknown, headers: Headers): Promise<request.Response>;
  withHotTierDown<T>(work: () => Promise<T>): Promise<T>;
  /** The functions-framework server itself, for requests supertest cannot shape (duplicated headers). */
  readonly server: Server;
  close(): Promise<void>;
}

export interface StrataOptions {
  readonly env?: Record<string, string>;
  /** Also start the archive (chDB through client-web) and wire the lifecycle jobs. */
  readonly archive?: boolean;
  /** The clock of the service and the lifecycle jobs (epoch ms). @default Date.now */
  readonly now?: () => number;
  /** Where the service and the HTTP layer log. @default silent */
  readonly log?: Logger;
}

export async function startStrata(options: StrataOptions = {}): Promise<StrataFixture> {
  const engines = await startRealEngines({ archive: options.archive ?? false });
  const config = loadConfig({ ...engines.env, ...options.env });
  const now = options.now ?? Date.now;
  const tiers = {
    hot: engines.hot,
    durable: engines.durable,
    ...(engines.archive && { archive: engines.archive }),
    close: async () => {},
  };
  const log = options.log ?? silentLogger;
  const deps = stateApiDeps(config, tiers, log, now);
  const lifecycle = engines.archive ? lifecycleDeps(tiers, silentLogger, now) : undefined;
  const name = `state-api-${randomUUID()}`;
  ff.http(
    name,
    expressHandler(stateApiRoutes(), async () => deps, log),
  );
  const server = getTestServer(name);
  const tenants = new Map<string, string>();

  const send = (method: string, path: string, headers: Headers, body?: unknown) => {
    let test = request(server)[method.toLowerCase() as 'get'](path).set(headers);
    if (body !== undefined) test = test.set('content-type', 'application/json').send(JSON.stringify(body));
    return test.then((res) => res);
  };
  const auth = (apiKey: string) => ({ authorization: `Bearer ${apiKey}` });

  return {
    hot: engines.hot,
    durable: engines.durable,
    ...(engines.archive && { archive: engines.archive }),
    ...(lifecycle && { lifecycle }),
    config,
    async createTenant(plan) {
      const tenantId = `t-${randomUUID()}`;
      const apiKey = generateApiKey();
      await engines.durable.createTenant({ id: tenantId, name: `test ${plan}`, plan });
      await engines.durable.addApiKey(tenantId, { keyHash: hashApiKey(apiKey), label: 'test' });
      tenants.set(apiKey, tenantId);
      return { tenantId, apiKey };
    },
    tenantOf: (apiKey) => tenants.get(apiKey) ?? '',
    put: (apiKey, runId, body, headers = {}) =>
      send('PUT', `/v1/runs/${runId}/state`, { ...auth(apiKey), ...headers }, body),
    get: (apiKey, path) => send('GET', path, auth(apiKey)),
    post: (apiKey, path, body) => send('POST', path, auth(apiKey), body),
    req: (method, apiKey, path, body) => send(method, path, auth(apiKey), body),
    raw: (method, apiKey, path, body, headers) =>
      request(server)
        [method.toLowerCase() as 'put'](path)
        .set({ ...auth(apiKey), ...headers })
        .send(body)
        .then((res) => res),
    anonymous: (method, path, body, headers) => send(method, path, headers, body),
    withHotTierDown: (work) => engines.withHotTierDown(work),
    server,
    close: () => engines.close(),
  };
}
