/**
 * The consistency checker on the real engines: hot via the Upstash bridge → Redis, durable via the Neon proxy →
 * Postgres, archive on chDB. Each kind of drift is built on purpose through the ports (plus one plain SQL
 * update for the index, which no port can put out of step). chDB is served on a loopback port, not in process,
 * so that the CLI in a child process reaches the same archive.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChdbHttpServer, startChdbHttpServer } from '../../infra/chdb-http/index.ts';
import { loadConfig } from '../../lib/config.ts';
import { archiveCompleted } from '../../lib/lifecycle/archive-completed.ts';
import { type ConsistencyDeps, checkConsistency } from '../../lib/lifecycle/consistency.ts';
import { silentLogger } from '../../lib/observability/logger.ts';
import { lifecycleDeps, lifecycleJobs } from '../../lib/runtime/lifecycle.ts';
import { withBreaker } from '../../lib/runtime/resilient-tiers.ts';
import { createClickHouseArchiveTier, migrateClickHouseArchive } from '../../lib/tiers/archive/clickhouse.ts';
import type { ArchiveTier } from '../../lib/tiers/archive/port.ts';
import { createLocalFolderFallback } from '../../lib/tiers/fallback/local-folder.ts';
import type { FallbackStore } from '../../lib/tiers/fallback/port.ts';
import type { RunKey } from '../../lib/tiers/types.ts';
import { fields, version } from '../contracts/durable.contract.ts';
import { type RealEngines, startRealEngines } from '../support/real-engines.ts';

const run = promisify(execFile);
const DAY = 86_400;
let engines: RealEngines;
let chdb: ChdbHttpServer;
let archive: ArchiveTier;
let fallback: FallbackStore;
let deps: ConsistencyDeps;
const dirs: string[] = [];
const tenantId = `t-${randomUUID()}`;

/** A valid agent state at `step`, so a repair that commits it derives the index fields as a save would. */
const at = (v: number, note = 'same') =>
  version(v, { agentName: 'checker', status: 'running', step: v, data: { v, note } });
const newKey = (name: string): RunKey => ({ tenantId, runId: `${name}-${randomUUID().slice(0, 8)}` });
const commit = async (key: RunKey, upTo: number) => {
  for (let v = 1; v <= upTo; v++) await engines.durable.commit(key, at(v), { run: fields() });
};
const setIndex = async (key: RunKey, durableVersion: number) => {
  const client = new pg.Client({ connectionString: engines.env.DATABASE_URL });
  await client.connect();
  try {
    await client.query('UPDATE runs SET durable_version = $1 WHERE tenant_id = $2 AND run_id = $3', [
      durableVersion,
      key.tenantId,
      key.runId,
    ]);
  } finally {
    await client.end();
  }
};
const complete = (key: RunKey) =>
  engines.durable.complete(key, {
    status: 'completed',
    completedAt: Date.now(),
    model: null,
    inputTokens: 0,
    outputTokens: 0,
    costUsd: 0,
  });

beforeAll(async () => {
  engines = await startRealEngines();
  const chdbDir = await mkdtemp(join(tmpdir(), 'strata-consistency-chdb-'));
  const spoolDir = await mkdtemp(join(tmpdir(), 'strata-consistency-spool-'));
  dirs.push(chdbDir, spoolDir);
  chdb = await startChdbHttpServer({ dataDir: chdbDir });
  await migrateClickHouseArchive({ url: chdb.url });
  archive = createClickHouseArchiveTier({ url: chdb.url });
  fallback = await createLocalFolderFallback({ dir: spoolDir });
  await engines.durable.createTenant({ id: tenantId, name: 'consistency', plan: 'free' });
  deps = {
    hot: engines.hot,
    durable: engines.durable,
    runScan: engines.durable.runScan,
    archive,
    fallback,
    log: silentLogger,
  };
});

afterAll(async () => {
  await Promise.allSettled([archive?.close(), fallback?.close()]);
  await chdb?.close();
  await engines?.close();
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('drift built on purpose', () => {
  const k = {
    clean: newKey('clean'),
    behind: newKey('behind'),
    mismatch: newKey('mismatch'),
    aheadLive: newKey('ahead-live'),
    aheadDone: newKey('ahead-done'),
    archived: newKey('archived'),
    archivedGone: newKey('archived-gone'),
    indexBehind: newKey('index-behind'),
    indexAhead: newKey('index-ahead'),
    spooled: newKey('spooled'),
  };
  const ttl = DAY;

  beforeAll(async () => {
    // Archived first: the archiver takes every completed run, and ahead-done must stay unarchived.
    for (const key of [k.archived, k.archivedGone]) {
      await commit(key, 2);
      await complete(key);
    }
    await archiveCompleted(
      {
        ...deps,
        queue: engines.durable.archiveQueue,
        archive,
        now: Date.now,
        newBatchId: () => `b-${randomUUID()}`,
      },
      { batchSize: 100, leaseMs: 60_000, hotRetentionMs: DAY * 1000, durableRetentionMs: 30 * DAY * 1000 },
    );
    await archive.deleteRun(k.archivedGone);

    await commit(k.clean, 2);
    await engines.hot.promote(k.clean, at(2), ttl);
    await commit(k.behind, 3);
    await engines.hot.promote(k.behind, at(2), ttl);
    await commit(k.mismatch, 2);
    await engines.hot.promote(k.mismatch, at(2, 'other'), ttl);
    await commit(k.aheadLive, 1);
    await engines.hot.promote(k.aheadLive, at(3), ttl);
    await commit(k.aheadDone, 1);
    await engines.hot.promote(k.aheadDone, at(2), ttl);
    await complete(k.aheadDone);
    await commit(k.indexBehind, 3);
    await setIndex(k.indexBehind, 1);
    await commit(k.indexAhead, 2);
    await setIndex(k.indexAhead, 5);
    await fallback.spool({ key: k.spooled, record: at(4), run: fields(), spooledAt: Date.now() });
  });

  /** Everything every tier holds for the runs of this describe. */
  const snapshot = () =>
    Promise.all(
      Object.values(k).map(async (key) => ({
        hot: await engines.hot.load(key),
        run: await engines.durable.getRun(key),
        checkpoints: await engines.durable.listCheckpoints(key, { limit: 100 }),
        archived: await archive.getRun(key),
        spooled: await fallback.loadLatest(key),
      })),
    );

  it('without repair finds each kind of drift and changes nothing', async () => {
    const before = await snapshot();
    const report = await checkConsistency(deps, { repair: false });
    expect(report.drift).toEqual({
      hot_behind_durable: 1,
      hot_hash_mismatch: 1,
      hot_ahead_of_durable: 2,
      index_behind: 1,
      index_ahead: 1,
      archive_mismatch: 1,
      spooled_pending: 1,
    });
    expect(Object.values(report.repaired).every((n) => n === 0)).toBe(true);
    expect(report).toMatchObject({ scanned: 9, failures: 0, archiveChecked: true });
    const kinds = new Map(report.samples.map((s) => [s.runId, s.kind]));
    expect(kinds.get(k.behind.runId)).toBe('hot_behind_durable');
    expect(kinds.get(k.mismatch.runId)).toBe('hot_hash_mismatch');
    expect(kinds.get(k.archivedGone.runId)).toBe('archive_mismatch');
    expect(kinds.get(k.spooled.runId)).toBe('spooled_pending');
    expect(kinds.has(k.clean.runId) || kinds.has(k.archived.runId)).toBe(false);
    expect(await snapshot()).toEqual(before);
  });

  it('with repair fixes each repairable kind, and a second check finds only what is reported, not repaired', async () => {
    const report = await checkConsistency(deps, { repair: true });
    expect(report.repaired).toEqual({
      hot_behind_durable: 1,
      hot_hash_mismatch: 1,
      hot_ahead_of_durable: 1, // the completed run only
      index_behind: 1,
      index_ahead: 0,
      archive_mismatch: 0,
      spooled_pending: 0,
    });
    expect(await engines.hot.load(k.behind)).toEqual(await engines.durable.loadLatest(k.behind));
    expect((await engines.hot.load(k.mismatch))?.hash).toBe(at(2).hash);
    expect(await engines.durable.loadLatest(k.aheadDone)).toMatchObject({ version: 2, hash: at(2).hash });
    expect(await engines.durable.getRun(k.aheadDone)).toMatchObject({
      durableVersion: 2,
      status: 'completed',
    });
    expect(await engines.durable.getRun(k.indexBehind)).toMatchObject({ durableVersion: 3 });
    expect(await engines.durable.loadLatest(k.aheadLive)).toMatchObject({ version: 1 });

    const again = await checkConsistency(deps, { repair: true });
    expect(again.drift).toEqual({
      hot_behind_durable: 0,
      hot_hash_mismatch: 0,
      hot_ahead_of_durable: 1, // the live run: its plan keeps AUTO saves hot-only
      index_behind: 0,
      index_ahead: 1,
      archive_mismatch: 1,
      spooled_pending: 1,
    });
    expect(Object.values(again.repaired).every((n) => n === 0)).toBe(true);
  });

  it('makeDurable commits the hot head of live runs too', async () => {
    const report = await checkConsistency(deps, { repair: true, makeDurable: true });
    expect(report.repaired.hot_ahead_of_durable).toBe(1);
    expect(await engines.durable.loadLatest(k.aheadLive)).toMatchObject({ version: 3, hash: at(3).hash });
    expect((await checkConsistency(deps, { repair: false })).drift.hot_ahead_of_durable).toBe(0);
  });

  it('a tier that fails makes its runs failures; the scan goes on and the other tiers are still compared', async () => {
    const report = await engines.withHotTierDown(() => checkConsistency(deps, { repair: true }));
    expect(report.scanned).toBe(9);
    expect(report.failures).toBe(9);
    expect(report.errors.length).toBeGreaterThan(0);
    expect(report.drift.archive_mismatch).toBe(1);
    expect(report.drift.index_ahead).toBe(1);
  });
});

describe('progress and limits', () => {
  it('reports progress run by run over many runs, against the count of the scan', async () => {
    await new Promise((resolve) => setTimeout(resolve, 20));
    const since = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 20));
    const many = Array.from({ length: 150 }, (_, i) => newKey(`many-${i}`));
    for (let i = 0; i < many.length; i += 25)
      await Promise.all(many.slice(i, i + 25).map((key) => engines.durable.ensureRun(key, fields())));

    const calls: [number, number | undefined][] = [];
    const report = await checkConsistency(deps, {
      repair: false,
      updatedSince: since,
      concurrency: 16,
      onProgress: (done, total) => calls.push([done, total]),
    });
    expect(report.scanned).toBe(150);
    expect(calls).toEqual(Array.from({ length: 150 }, (_, i) => [i + 1, 150]));

    const limited: number[] = [];
    const capped = await checkConsistency(deps, {
      repair: false,
      updatedSince: since,
      limit: 40,
      onProgress: (_, total) => limited.push(total ?? -1),
    });
    expect(capped.scanned).toBe(40);
    expect(new Set(limited)).toEqual(new Set([40]));
  });
});

describe('the consistency-check job', () => {
  it('reaches the run scan through the circuit breaker and repairs the runs of its window', async () => {
    const key = newKey('job-behind');
    await commit(key, 3);
    await engines.hot.promote(key, at(1), DAY);
    const job = lifecycleJobs(loadConfig(engines.env))['consistency-check'];
    const tiers = {
      hot: withBreaker('hot', engines.hot, {}, silentLogger),
      durable: withBreaker('durable', engines.durable, {}, silentLogger),
      archive,
      fallback,
      close: async () => {},
    };
    const report = await job(lifecycleDeps(tiers, silentLogger));
    expect(report.repaired.hot_behind_durable).toBe(1);
    expect((await engines.hot.load(key))?.version).toBe(3);
    // Its window is the last day: a clock a week ahead leaves every run of this file out.
    const later = await job(lifecycleDeps(tiers, silentLogger, () => Date.now() + 7 * DAY * 1000));
    expect(later.scanned).toBe(0);
  });
});

describe('npm run strata -- check', () => {
  const cli = (args: string[]) =>
    run(process.execPath, ['--import', 'tsx', 'scripts/cli.ts', 'check', ...args], {
      cwd: join(import.meta.dirname, '..', '..'),
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        ...engines.env,
        CLICKHOUSE_URL: chdb.url,
        STRATA_FALLBACK_DIR: dirs[1]!,
        STRATA_DATA_DIR: dirs[0]!,
      },
      timeout: 20_000,
    });

  it('prints a table of kinds and samples, without a progress bar when stdout is not a terminal', async () => {
    const since = new Date().toISOString();
    await new Promise((resolve) => setTimeout(resolve, 20));
    const key = newKey('cli-behind');
    await commit(key, 3);
    await engines.hot.promote(key, at(2), DAY);

    const check = await cli(['--since', since]);
    expect(check.stdout).toContain('Checked 1 run(s), repair off, 0 failure(s).');
    expect(check.stdout).toMatch(/^hot_behind_durable\s+1\s+0$/m);
    expect(check.stdout).toMatch(/^index_behind\s+0\s+0$/m);
    expect(check.stdout).toMatch(/^spooled_pending\s+\d+\s+-\s+report only/m);
    expect(check.stdout).toContain(`${key.tenantId}/${key.runId}  hot v2, durable v3`);
    expect(check.stdout).not.toMatch(/[\r\u2588\u2591]|checking runs/);
    expect((await engines.hot.load(key))?.version).toBe(2);

    const repair = await cli(['--since', since, '--repair', '--limit', '10']);
    expect(repair.stdout).toContain('repair on');
    expect(repair.stdout).toMatch(/^hot_behind_durable\s+1\s+1$/m);
    expect((await engines.hot.load(key))?.version).toBe(3);
  });

  it('lists the dead letters of the spool folder: count, run, version and reason, never the payload', async () => {
    const key = newKey('cli-dead');
    const marker = `payload-${randomUUID()}`;
    const spooled = await fallback.spool({
      key,
      record: at(7, marker),
      run: fields(),
      spooledAt: Date.now(),
    });
    expect(await fallback.quarantine(spooled.id, 'invalid_data')).toBe(true);
    try {
      const check = await cli(['--since', new Date().toISOString()]);
      expect(check.stdout).toContain('Dead letters: 1 spooled write(s) the drain set aside');
      expect(check.stdout).toContain(`  ${key.tenantId}/${key.runId}  v7  invalid_data  `);
      expect(check.stdout).not.toContain(marker);
    } finally {
      expect(await fallback.removeRun(key)).toBe(1);
    }
  });

  it('refuses a time it cannot read, naming the format', async () => {
    await expect(cli(['--since', 'yesterday'])).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining('ISO 8601'),
    });
  });
});
