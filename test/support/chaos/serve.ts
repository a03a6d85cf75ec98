/**
 * The state API served the way a deployed function is (functions-framework's Express app), but listening on a
 * loopback port so agents can drive it with fetch over keep-alive connections: 100+ concurrent agents then
 * cost sockets, not a supertest request each.
 */
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as ff from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { stateApiRoutes } from '../../../functions/state-api/routes.ts';
import { generateApiKey, hashApiKey } from '../../../lib/auth/api-keys.ts';
import { loadConfig } from '../../../lib/config.ts';
import { expressHandler } from '../../../lib/http/express.ts';
import type { Logger } from '../../../lib/observability/logger.ts';
import { stateApiDeps } from '../../../lib/runtime/state-api.ts';
import type { Tiers } from '../../../lib/runtime/tiers.ts';
import type { PlanName, TenantDirectory } from '../../../lib/tiers/durable/port.ts';

export interface ServedStateApi {
  /** `http://127.0.0.1:<port>` */
  readonly baseUrl: string;
  close(): Promise<void>;
}

/** Serves the state API over `tiers`, configured by `env` (the variables a deployment would set). */
export async function serveStateApi(
  tiers: Tiers,
  env: Record<string, string>,
  log: Logger,
): Promise<ServedStateApi> {
  const deps = stateApiDeps(loadConfig(env), tiers, log);
  const name = `state-api-${randomUUID()}`;
  ff.http(
    name,
    expressHandler(stateApiRoutes(), async () => deps, log),
  );
  const server: Server = getTestServer(name);
  // Agents keep their connections for the whole run: the server must not close an idle one while the client
  // is sending on it (the default 5 s keep-alive races with agents that pause between steps).
  server.keepAliveTimeout = 60_000;
  server.headersTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A tenant on `plan` with one API key. */
export async function createTenantWithKey(
  directory: Pick<TenantDirectory, 'createTenant' | 'addApiKey'>,
  plan: PlanName,
): Promise<{ tenantId: string; apiKey: string }> {
  const tenantId = `t-${randomUUID()}`;
  const apiKey = generateApiKey();
  await directory.createTenant({ id: tenantId, name: `chaos ${plan}`, plan });
  await directory.addApiKey(tenantId, { keyHash: hashApiKey(apiKey), label: 'chaos' });
  return { tenantId, apiKey };
}
