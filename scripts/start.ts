/**
 * `npm start`: Strata on localhost with the embedded defaults (in-process hot tier, PGlite), no server needed.
 * Data stays in STRATA_DATA_DIR across restarts. Set UPSTASH_* / DATABASE_URL to run against real tiers instead.
 */
import { chmod, mkdir } from 'node:fs/promises';
import * as ff from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { Registry } from 'prom-client';
import { loadConfig } from '../lib/config.ts';
import { answerClientErrors } from '../lib/http/client-errors.ts';
import { createLogger } from '../lib/observability/logger.ts';
import { createMetrics } from '../lib/observability/metrics.ts';
import { recordGauges } from '../lib/observability/metrics-gauges.ts';
import { ensureDevApiKey } from '../lib/runtime/dev-tenant.ts';
import { lifecycleDeps, lifecycleJobs } from '../lib/runtime/lifecycle.ts';
import { startLocalSchedules } from '../lib/runtime/local-schedules.ts';
import { SCHEDULES } from '../lib/runtime/schedules.ts';
import { stateApiFunction } from '../lib/runtime/state-api-function.ts';
import { openTiers } from '../lib/runtime/tiers.ts';

// Express (inside functions-framework) answers a body it cannot parse itself, before Strata sees it; outside
// "production" that answer carries a stack trace. Cloud Functions runs with NODE_ENV=production; so does this.
process.env.NODE_ENV ??= 'production';

const config = loadConfig();
const log = createLogger(config.logLevel);
// Agent state at rest: only this user may enter the folder (an older one is tightened too).
await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
await chmod(config.dataDir, 0o700);

console.log(
  `Strata: opening tiers (hot: ${config.hot.kind}, durable: ${config.durable.kind}) in ${config.dataDir} …`,
);
// One registry for the process: GET /metrics serves it (STRATA_METRICS=prometheus, the default here).
const metrics = createMetrics(config.metrics, { log, registry: new Registry() });
const tiers = await openTiers(config, log, metrics);
const apiKey = await ensureDevApiKey(tiers.durable, config.dataDir);
const jobs = lifecycleJobs(config, metrics);
const lifecycle = lifecycleDeps(tiers, log);
// The cadence of lib/runtime/schedules.ts, the same file terraform/'s Cloud Scheduler jobs are written from.
const schedules = startLocalSchedules(
  [
    ...SCHEDULES.map(({ name, everyMs }) => ({ name, everyMs, run: () => jobs[name](lifecycle) })),
    // Prometheus reads the gauges at each scrape; a log sink gets them on the drain's cadence, as in the cloud.
    ...(metrics.kind === 'log'
      ? [{ name: 'gauges', everyMs: 30_000, run: () => recordGauges(metrics, tiers) }]
      : []),
  ],
  log,
);

ff.http(
  'state-api',
  stateApiFunction(config, async () => tiers, log, metrics),
);
const server = getTestServer('state-api');
answerClientErrors(server);
const host = process.env.HOST ?? '127.0.0.1';
server.listen(config.port, host, () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `http://${host}:${port}`;
  console.log(`
Strata is listening on ${url}
Development API key: ${apiKey}${metrics.kind === 'prometheus' ? `\nPrometheus metrics: ${url}/metrics` : ''}

  curl -s -X PUT ${url}/v1/runs/demo/state -H "Authorization: Bearer ${apiKey}" \\
       -H 'Content-Type: application/json' \\
       -d '{"expectedVersion":0,"state":{"agentName":"demo","status":"running","step":1,"data":{"hello":"world"}}}'
  curl -s ${url}/v1/runs/demo/state -H "Authorization: Bearer ${apiKey}"
`);
});

let stopping = false;
async function stop(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: closing …`);
  server.close();
  await schedules.stop();
  await tiers.close();
  process.exit(0);
}
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
