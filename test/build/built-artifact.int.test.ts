/**
 * The production bundle as Cloud Functions runs it: `npm run build` into a temp dir, its dependencies installed
 * as dist/package.json lists them (and nothing else), then functions-framework's own CLI serving one target per
 * process on the real engines — Upstash bridge → Redis, Neon proxy → Postgres (scratch database), chDB behind
 * the ClickHouse HTTP interface, the GCS bridge as the fallback bucket — on this machine's Node (20), though
 * built for nodejs22.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, realpath, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GcsBridge, startGcsBridge } from '../../infra/gcs-bridge/index.ts';
import { generateApiKey, hashApiKey } from '../../lib/auth/api-keys.ts';
import { contentHash } from '../../lib/model/canonical.ts';
import { migrateClickHouseArchive } from '../../lib/tiers/archive/clickhouse.ts';
import { createNeonDurableTier, migrateNeon } from '../../lib/tiers/durable/neon.ts';
import { type BuildResult, buildFunctions } from '../../scripts/build.ts';
import { type BridgesProcess, startBridgesProcess } from '../support/bridges-process.ts';
import { freePort } from '../support/ports.ts';
import { createScratchDatabase, type ScratchDatabase } from '../support/scratch-database.ts';
import { type Child, startChild, waitUntilServing } from './child.ts';
import { type OidcIssuer, startOidcIssuer } from './oidc-issuer.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const AUDIENCE = 'https://drain-outbox.strata.test';
const SCHEDULER = 'scheduler@strata-test.iam.gserviceaccount.com';
const BUCKET = 'strata-artifact-spool';

let work: string;
let built: BuildResult;
let bridges: BridgesProcess;
let database: ScratchDatabase;
let chdb: Child;
let gcs: GcsBridge;
let oidc: OidcIssuer;
let env: NodeJS.ProcessEnv;
const children: Child[] = [];
const cleanups: (() => Promise<unknown>)[] = [];

/** What `npm install` in dist/ would give: exactly the listed packages (their own dependencies resolve from them). */
async function installListed(dependencies: Readonly<Record<string, string>>, into: string): Promise<void> {
  for (const name of Object.keys(dependencies)) {
    const target = join(into, 'node_modules', name);
    await mkdir(dirname(target), { recursive: true });
    await symlink(await realpath(join(ROOT, 'node_modules', name)), target, 'dir');
  }
}

/** functions-framework's CLI serving `target` from the artifact, as `npm start` in dist/ does. */
async function serve(target: string, extra: NodeJS.ProcessEnv = {}): Promise<string> {
  const port = await freePort();
  const cli = join(work, 'node_modules/@google-cloud/functions-framework/build/src/main.js');
  const child = await startChild(
    ['--enable-source-maps', cli, `--target=${target}`, `--source=${built.outDir}`, `--port=${port}`],
    // NODE_ENV=production, as on Cloud Functions: functions-framework then prints nothing when it listens.
    { cwd: built.outDir, env: { ...env, ...extra } },
  );
  children.push(child);
  const url = `http://127.0.0.1:${port}`;
  await waitUntilServing(url, child);
  return url;
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'strata-artifact-'));
  cleanups.push(() => rm(work, { recursive: true, force: true }));
  built = await buildFunctions({ outDir: join(work, 'dist'), print: false });
  await installListed(built.dependencies, work);

  bridges = await startBridgesProcess();
  cleanups.push(() => bridges.close());
  database = await createScratchDatabase('strata_artifact');
  cleanups.push(() => database.drop());
  await migrateNeon({ connectionString: database.url, localProxy: bridges.localProxy });

  const chdbPort = await freePort();
  const chdbDir = join(work, 'chdb');
  chdb = await startChild(['--import', 'tsx', join(ROOT, 'infra/chdb-http/main.ts')], {
    cwd: ROOT,
    env: { ...process.env, CHDB_DATA_DIR: chdbDir, CHDB_HTTP_PORT: String(chdbPort) },
    ready: /ClickHouse HTTP interface on (\S+)/,
    timeoutMs: 60_000,
  });
  children.push(chdb);
  const clickhouseUrl = `http://127.0.0.1:${chdbPort}`;
  await migrateClickHouseArchive({ url: clickhouseUrl });

  gcs = await startGcsBridge({ buckets: [BUCKET] });
  cleanups.push(() => gcs.close());
  oidc = await startOidcIssuer();
  cleanups.push(() => oidc.close());

  // Only what a deploy sets: no tsx loader, no test variables inherited from this process.
  env = {
    PATH: process.env.PATH,
    NODE_ENV: 'production',
    STRATA_LOG_LEVEL: 'warn',
    UPSTASH_REDIS_REST_URL: bridges.upstashUrl,
    UPSTASH_REDIS_REST_TOKEN: bridges.upstashToken,
    DATABASE_URL: database.url,
    NEON_LOCAL_PROXY: bridges.localProxy,
    CLICKHOUSE_URL: clickhouseUrl,
    STRATA_FALLBACK: 'gcs',
    STRATA_FALLBACK_BUCKET: BUCKET,
    STRATA_GCS_ENDPOINT: gcs.url,
    STRATA_DATA_DIR: join(work, 'data'),
  };
}, 180_000);

afterAll(async () => {
  // Time-boxed: each child gets SIGTERM, then SIGKILL after 5 s.
  await Promise.allSettled(children.map((c) => c.stop()));
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
}, 60_000);

async function createTenant(): Promise<string> {
  const durable = createNeonDurableTier({ connectionString: database.url, localProxy: bridges.localProxy });
  try {
    const tenant = await durable.createTenant({ id: `t_${randomUUID()}`, name: 'artifact', plan: 'mid' });
    const key = generateApiKey();
    await durable.addApiKey(tenant.id, { keyHash: hashApiKey(key), label: 'built-artifact test' });
    return key;
  } finally {
    await durable.close();
  }
}

describe('the built artifact', () => {
  it('lists only the production packages the bundle imports, and reaches no dev-only module', async () => {
    const manifest = JSON.parse(await readFile(join(built.outDir, 'package.json'), 'utf8'));
    expect(manifest).toMatchObject({
      main: 'index.js',
      type: 'module',
      engines: { node: '>=22' },
      scripts: { start: 'functions-framework' },
    });
    expect(Object.keys(manifest.dependencies).sort()).toEqual([...built.external].sort());
    expect(built.external).toContain('@google-cloud/functions-framework');
    expect(built.external).toContain('@google-cloud/storage');
    const root = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8'));
    for (const name of built.external) expect(root.dependencies).toHaveProperty(name);
    expect(built.sources.filter((s) => /^(infra|test)\//.test(s) || s.includes('pglite'))).toEqual([]);
    const chunks = await readdir(join(built.outDir, 'chunks'));
    for (const file of [
      join(built.outDir, 'index.js'),
      ...chunks.map((c) => join(built.outDir, 'chunks', c)),
    ])
      if (file.endsWith('.js'))
        expect(await readFile(file, 'utf8')).not.toMatch(/from\s*["'](chdb|@electric-sql\/pglite)["']/);
    expect(await readdir(built.outDir)).toContain('index.js.map');
  });

  it('serves state-api: a CRITICAL save and a load round-trip on the real engines', async () => {
    const url = await serve('state-api');
    const apiKey = await createTenant();
    const headers = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' };
    const runId = `artifact-${randomUUID()}`;
    const state = { agentName: 'planner', status: 'running', step: 1, data: { notes: ['héllo', '🚀'] } };
    const saved = await fetch(`${url}/v1/runs/${runId}/state`, {
      method: 'PUT',
      headers,
      body: JSON.stringify({ state, checkpoint: 'CRITICAL', expectedVersion: 0 }),
    });
    expect(saved.status).toBe(200);
    expect(await saved.json()).toEqual({
      runId,
      version: 1,
      hash: contentHash(state),
      durability: 'durable',
    });
    const loaded = await fetch(`${url}/v1/runs/${runId}/state`, { headers });
    expect(loaded.status).toBe(200);
    expect(await loaded.json()).toMatchObject({ runId, version: 1, hash: contentHash(state), state });
    const health = await fetch(`${url}/health/persistence`);
    expect(await health.json()).toMatchObject({
      acceptingWrites: true,
      tiers: {
        hot: { status: 'up' },
        durable: { status: 'up' },
        archive: { status: 'up' },
        fallback: { status: 'up' },
      },
    });
    // The GCS fallback was reached through the bridge: the client in dist/ resolved and ran offline.
    expect(gcs.requests.some((r) => r.path === `/storage/v1/b/${BUCKET}/o`)).toBe(true);
  });

  it('serves a scheduled function that runs for a token of the trusted key and refuses another key', async () => {
    const url = await serve('drain-outbox', {
      STRATA_SCHEDULER_AUDIENCE: AUDIENCE,
      STRATA_SCHEDULER_EMAILS: SCHEDULER,
      STRATA_SCHEDULER_JWKS_URL: oidc.jwksUrl,
      STRATA_SCHEDULER_ISSUERS: oidc.issuer,
    });
    const call = async (token: string) =>
      fetch(url, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    const ok = await call(await oidc.token({ audience: AUDIENCE, email: SCHEDULER }));
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({
      job: 'drain-outbox',
      report: {
        committed: expect.any(Number),
        alreadyDurable: expect.any(Number),
        expired: expect.any(Number),
        remaining: expect.any(Number),
      },
    });
    const forged = await call(
      await oidc.token({ audience: AUDIENCE, email: SCHEDULER }, { foreignKey: true }),
    );
    expect(forged.status).toBe(401);
    expect(await forged.json()).toMatchObject({ error: 'unauthorized' });
  });
});
