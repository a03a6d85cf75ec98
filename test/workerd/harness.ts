/**
 * The bundled Worker in Miniflare on the real engines: @upstash/redis → Upstash bridge → the machine's Redis,
 * and the Neon driver over HTTP → Neon proxy `/sql` → a migrated scratch database on its Postgres. The test
 * process keeps its own (Node) clients on the same engines to look at what the Worker did, and can make every
 * request of the Worker to the Upstash bridge answer 503, inside workerd's outbound fetch.
 */
import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { type Request as MfRequest, Response as MfResponse, Miniflare, fetch as mfFetch } from 'miniflare';
import { startUpstashBridge, type UpstashBridge } from '../../infra/upstash-bridge/index.ts';
import { generateApiKey, hashApiKey } from '../../lib/auth/api-keys.ts';
import { createNeonDurableTier } from '../../lib/tiers/durable/neon.ts';
import type { PlanName } from '../../lib/tiers/durable/port.ts';
import type { HotTier } from '../../lib/tiers/hot/port.ts';
import { createUpstashHotTier } from '../../lib/tiers/hot/upstash.ts';
import type { RunKey } from '../../lib/tiers/types.ts';
import {
  buildWorker,
  WORKER_COMPATIBILITY_DATE,
  WORKER_COMPATIBILITY_FLAGS,
  type WorkerBundle,
} from '../../scripts/build-worker.ts';
import { type NeonDatabase, startNeonDatabase } from '../support/neon-database.ts';

/**
 * Logical databases of the machine's Redis owned by the Worker suites, one per test file: the `drain-outbox`
 * job a suite fires drains the whole outbox it sees (acking entries of tenants its database does not know),
 * so it must not see other suites' entries (database 0) nor the other Worker suite's.
 */
export const WORKER_REDIS_DATABASES = { worker: 13, archive: 14 } as const;

export interface WorkerAnswer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

export interface WorkerHarness {
  readonly bundle: WorkerBundle;
  readonly mf: Miniflare;
  /** Node clients on the engines the Worker uses. */
  readonly hot: HotTier;
  readonly durable: ReturnType<typeof createNeonDurableTier>;
  /** The Worker's log records (JSON lines of its stdout and stderr). */
  readonly logs: readonly Record<string, unknown>[];
  /** Requests of the Worker to the Upstash bridge answered 503 so far. */
  readonly refusedHotCalls: number;
  /** While true, every request of the Worker to the Upstash bridge is answered 503, as a failing Upstash would. */
  setHotDown(down: boolean): void;
  /** A tenant and its API key, created as `npm run strata -- tenants create` does (scripts/cli.ts). */
  createTenant(plan: PlanName): Promise<{ tenantId: string; apiKey: string }>;
  /** Removes the run's hot keys when the harness closes (the scratch database goes as a whole). */
  forget(key: RunKey): void;
  call(apiKey: string, method: string, path: string, body?: unknown): Promise<WorkerAnswer>;
  /** Fires the Worker's `scheduled` handler as a cron trigger would. */
  scheduled(cron: string): Promise<{ outcome: string }>;
  close(): Promise<void>;
}

/** The Worker's handlers as Miniflare exposes them (its Fetcher type is from @cloudflare/workers-types, not installed). */
interface WorkerStub {
  scheduled(options: { cron: string }): Promise<{ outcome: string; noRetry: boolean }>;
}

/** Teardown never hangs the suite: each step gets a bounded moment. */
export const bounded = (work: Promise<unknown> | undefined, ms = 5_000): Promise<unknown> =>
  Promise.race([work?.catch(() => {}), new Promise((resolve) => setTimeout(resolve, ms).unref())]);

export function collectJsonLines(stream: Readable, into: Record<string, unknown>[]): void {
  let buffered = '';
  stream.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      try {
        into.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // workerd's own lines (start-up errors, uncaught exceptions) are not JSON: show them.
        process.stderr.write(`workerd: ${line}\n`);
      }
    }
  });
}

export interface WorkerHarnessOptions {
  /** One of WORKER_REDIS_DATABASES, a different one per test file. */
  readonly redisDatabase: number;
  /** Added to (or overriding) the Worker's env. @default {} */
  readonly bindings?: Readonly<Record<string, string>>;
}

export async function startWorkerHarness(options: WorkerHarnessOptions): Promise<WorkerHarness> {
  const { redisDatabase, bindings = {} } = options;
  const bundle = await buildWorker();
  const database: NeonDatabase = await startNeonDatabase('strata_workerd');
  const closers: (() => Promise<unknown>)[] = [() => database.close()];
  const close = async () => {
    for (const closer of closers.reverse()) await bounded(closer(), 10_000);
  };
  try {
    const bridge: UpstashBridge = await startUpstashBridge({
      redisUrl: `redis://127.0.0.1:6379/${redisDatabase}`,
    });
    closers.push(() => bridge.close());
    const hot = createUpstashHotTier({
      url: bridge.url,
      token: bridge.token,
      retry: false,
      timeoutMs: 5_000,
    });
    const durable = createNeonDurableTier({
      connectionString: database.url,
      localProxy: database.localProxy,
    });
    const runs: RunKey[] = [];
    closers.push(async () => {
      await Promise.allSettled(runs.map((key) => hot.delete(key)));
      await Promise.allSettled([hot.close(), durable.close()]);
    });
    const logs: Record<string, unknown>[] = [];
    const bridgeHost = new URL(bridge.url).host;
    let hotDown = false;
    let refusedHotCalls = 0;
    const mf = new Miniflare({
      modules: [{ type: 'ESModule', path: 'strata-worker.mjs', contents: bundle.code }],
      compatibilityDate: WORKER_COMPATIBILITY_DATE,
      compatibilityFlags: [...WORKER_COMPATIBILITY_FLAGS],
      bindings: {
        UPSTASH_REDIS_REST_URL: bridge.url,
        UPSTASH_REDIS_REST_TOKEN: bridge.token,
        DATABASE_URL: database.url,
        NEON_LOCAL_PROXY: database.localProxy,
        STRATA_ARCHIVE: 'none',
        // Generous on a shared 2-core host: a slow answer must not pass for a dead tier here.
        STRATA_HOT_TIMEOUT_MS: '2000',
        STRATA_DURABLE_TIMEOUT_MS: '5000',
        ...bindings,
      },
      outboundService: async (request: MfRequest) => {
        if (hotDown && new URL(request.url).host === bridgeHost) {
          refusedHotCalls++;
          return new MfResponse(JSON.stringify({ error: 'ERR service unavailable (injected)' }), {
            status: 503,
            headers: { 'content-type': 'application/json' },
          });
        }
        return mfFetch(request);
      },
      handleRuntimeStdio(stdout: Readable, stderr: Readable) {
        collectJsonLines(stdout, logs);
        collectJsonLines(stderr, logs);
      },
    });
    closers.push(() => mf.dispose());
    await mf.ready;

    return {
      bundle,
      mf,
      hot,
      durable,
      logs,
      get refusedHotCalls() {
        return refusedHotCalls;
      },
      setHotDown(down) {
        hotDown = down;
      },
      async createTenant(plan) {
        const tenant = await durable.createTenant({ id: `t_${randomUUID()}`, name: `workerd ${plan}`, plan });
        const apiKey = generateApiKey();
        await durable.addApiKey(tenant.id, { keyHash: hashApiKey(apiKey), label: 'created with the CLI' });
        return { tenantId: tenant.id, apiKey };
      },
      forget: (key) => void runs.push(key),
      async call(apiKey, method, path, body) {
        const response = await mf.dispatchFetch(`http://strata.worker${path}`, {
          method,
          headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
          ...(body !== undefined && { body: JSON.stringify(body) }),
        });
        const text = await response.text();
        return { status: response.status, body: (text ? JSON.parse(text) : null) as Record<string, unknown> };
      },
      async scheduled(cron) {
        return ((await mf.getWorker()) as unknown as WorkerStub).scheduled({ cron });
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
