/**
 * Child process of the workload bench: the state-api function served by functions-framework as scripts/start.ts
 * serves it, over the tiers its environment names (the real engines behind the bridges), with one enterprise
 * tenant. It runs alone in its process so its CPU can be measured alone: it reports `process.cpuUsage()` (and
 * how many warnings it logged) over the IPC channel, never through an HTTP route of the product. No scheduled jobs run here (a deployed state-api
 * instance runs none either).
 */
import type { AddressInfo } from 'node:net';
import * as ff from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { stateApiRoutes } from '../../functions/state-api/routes.ts';
import { generateApiKey, hashApiKey } from '../../lib/auth/api-keys.ts';
import { loadConfig } from '../../lib/config.ts';
import { expressHandler } from '../../lib/http/express.ts';
import { createLogger } from '../../lib/observability/logger.ts';
import { stateApiDeps } from '../../lib/runtime/state-api.ts';
import { openTiers } from '../../lib/runtime/tiers.ts';

/** Parent → child. */
export type ChildRequest = { readonly type: 'probe'; readonly id: number } | { readonly type: 'stop' };
/** Child → parent. */
export type ChildReply =
  | { readonly type: 'ready'; readonly port: number; readonly tenantId: string; readonly apiKey: string }
  | {
      readonly type: 'probe';
      readonly id: number;
      readonly userMicros: number;
      readonly systemMicros: number;
      /** Lines logged at warn or above since the start: tier timeouts, breakers opening — failover paths. */
      readonly logged: number;
      readonly examples: readonly string[];
    };

const send = (reply: ChildReply) => process.send?.(reply);

// As on Cloud Functions (and in scripts/start.ts).
process.env.NODE_ENV ??= 'production';
const config = loadConfig();
// Logs are counted, not printed: a warning here means a request left the normal path (a tier timed out, a
// breaker opened), which the bench reports beside its figures.
const logged = { count: 0, examples: [] as string[] };
const log = createLogger(config.logLevel, {
  write(line: string) {
    logged.count++;
    const entry = JSON.parse(line) as { message?: string; err?: { message?: string } };
    const text = entry.err?.message ?? entry.message ?? line;
    if (logged.examples.length < 3 && !logged.examples.includes(text)) logged.examples.push(text);
  },
});
const tiers = await openTiers(config, log);
const tenantId = `t-bench-${process.pid}-${Date.now()}`;
const apiKey = generateApiKey();
await tiers.durable.createTenant({ id: tenantId, name: 'workload bench', plan: 'enterprise' });
await tiers.durable.addApiKey(tenantId, { keyHash: hashApiKey(apiKey), label: 'workload bench' });

const deps = stateApiDeps(config, tiers, log);
ff.http(
  'state-api',
  expressHandler(stateApiRoutes(), async () => deps, log),
);
const server = getTestServer('state-api');
// The bench keeps its connections for the whole run; the default 5 s keep-alive would race with it.
server.keepAliveTimeout = 60_000;
server.headersTimeout = 65_000;
server.listen(0, '127.0.0.1', () => {
  send({ type: 'ready', port: (server.address() as AddressInfo).port, tenantId, apiKey });
});

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  server.closeAllConnections();
  server.close();
  await tiers.close();
  process.exit(0);
}
process.on('message', (request: ChildRequest) => {
  if (request.type === 'probe') {
    const usage = process.cpuUsage();
    send({
      type: 'probe',
      id: request.id,
      userMicros: usage.user,
      systemMicros: usage.system,
      logged: logged.count,
      examples: logged.examples,
    });
  } else void stop();
});
// The parent went away without asking: do not outlive it.
process.on('disconnect', () => void stop());
