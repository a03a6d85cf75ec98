/**
 * The fuzz suite's service process: the state-api on functions-framework's server over the embedded tiers
 * (memory hot tier, PGlite and the local-folder fallback in a temp dir, no archive), as `npm start` wires it.
 * It runs in a child process so that an input which hangs or exhausts the service is a measured failure, not the
 * death of the test runner; it answers the runner's probes (event-loop lag, RSS, prototype pollution) over IPC.
 */

import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import * as ff from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { stateApiRoutes } from '../../functions/state-api/routes.ts';
import { generateApiKey, hashApiKey } from '../../lib/auth/api-keys.ts';
import { loadConfig } from '../../lib/config.ts';
import { answerClientErrors } from '../../lib/http/client-errors.ts';
import { expressHandler } from '../../lib/http/express.ts';
import { createLogger } from '../../lib/observability/logger.ts';
import { stateApiDeps } from '../../lib/runtime/state-api.ts';
import { openTiers } from '../../lib/runtime/tiers.ts';
import type { ProbeReading, ServiceMessage, ServiceReady } from './protocol.ts';

// As in production (and `npm start`): Express's own error pages and logging behave as they do there.
process.env.NODE_ENV = 'production';

const dataDir = process.env.FUZZ_DATA_DIR;
if (!dataDir) throw new Error('FUZZ_DATA_DIR must name the temp dir of this service');

const config = loadConfig({
  STRATA_DATA_DIR: dataDir,
  STRATA_HOT: 'memory',
  STRATA_DURABLE: 'pglite',
  STRATA_ARCHIVE: 'none',
  STRATA_MAX_BODY_BYTES: process.env.FUZZ_MAX_BODY_BYTES ?? '65536',
  STRATA_MAX_STATE_BYTES: process.env.FUZZ_MAX_STATE_BYTES ?? '262144',
  STRATA_MAX_DEPTH: process.env.FUZZ_MAX_DEPTH ?? '16',
  STRATA_LOG_LEVEL: 'trace',
});

// pino writes through a stream of our own to stdout, which the runner captures with stderr (console.error).
const logStream = new Writable({
  write(chunk, _encoding, done) {
    process.stdout.write(chunk, done);
  },
});
const log = createLogger(config.logLevel, logStream);
const tiers = await openTiers(config, log);

async function createTenant(id: string, plan: 'enterprise' | 'mid'): Promise<string> {
  const apiKey = generateApiKey();
  await tiers.durable.createTenant({ id, name: `fuzz ${id}`, plan });
  await tiers.durable.addApiKey(id, { keyHash: hashApiKey(apiKey), label: 'fuzz' });
  return apiKey;
}
const apiKey = await createTenant('fuzz', 'enterprise');
const foreignApiKey = await createTenant('fuzz-foreign', 'mid');

ff.http(
  'state-api',
  expressHandler(stateApiRoutes(), async () => stateApiDeps(config, tiers, log), log),
);
const server = getTestServer('state-api');
answerClientErrors(server);

// Two probes of the event loop: Node's histogram, and a timer's own lag. A block that ends just before a probe is
// read has not been sampled by either timer yet; the gap since the timer last ran counts it.
const lag = monitorEventLoopDelay({ resolution: 5 });
lag.enable();
const TICK_MS = 5;
let lastTick = performance.now();
let maxGapMs = 0;
setInterval(() => {
  const now = performance.now();
  maxGapMs = Math.max(maxGapMs, now - lastTick - TICK_MS);
  lastTick = now;
}, TICK_MS).unref();
const prototypeKeys = Object.getOwnPropertyNames(Object.prototype).length;

function reading(): ProbeReading {
  const gc = (globalThis as { gc?: () => void }).gc;
  return {
    maxLagMs: Math.max(lag.max / 1e6, maxGapMs, performance.now() - lastTick - TICK_MS),
    rssBytes: process.memoryUsage().rss,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    prototypePolluted: Object.getOwnPropertyNames(Object.prototype).length !== prototypeKeys,
    gcExposed: gc !== undefined,
  };
}

process.on('message', (message: ServiceMessage) => {
  if (message.type === 'probe-reset') {
    lag.reset();
    maxGapMs = 0;
    lastTick = performance.now();
    process.send?.({ type: 'probe-reset', id: message.id });
  } else if (message.type === 'probe-read') {
    if (message.gc) (globalThis as { gc?: () => void }).gc?.();
    process.send?.({ type: 'probe-read', id: message.id, reading: reading() });
  } else if (message.type === 'stop') {
    server.close();
    void tiers.close().finally(() => process.exit(0));
  }
});
process.on('disconnect', () => process.exit(0));

server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const ready: ServiceReady = { type: 'ready', port, apiKey, foreignApiKey };
  process.send?.(ready);
});
