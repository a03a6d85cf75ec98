/**
 * A commit the caller gave up on must not land later. The Neon proxy's connection to a throwaway Postgres
 * goes through a fault proxy that holds every byte (blackhole) and delivers them on restore: the statement
 * reaches Postgres after the caller's timeout, and must write nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NeonProxy, startNeonProxy } from '../../infra/neon-proxy/server.ts';
import { TierUnavailable } from '../../lib/errors.ts';
import { createNeonDurableTier, migrateNeon } from '../../lib/tiers/durable/neon.ts';
import type { RunFields } from '../../lib/tiers/durable/port.ts';
import type { StoredVersion } from '../../lib/tiers/types.ts';
import {
  type FaultProxy,
  type PostgresCluster,
  startFaultProxy,
  startPostgresCluster,
} from '../support/faults/index.ts';
import { sleep } from '../support/faults/process.ts';

const TIMEOUT_MS = 400;
let pg: PostgresCluster;
let net: FaultProxy;
let neonProxy: NeonProxy;
let durable: ReturnType<typeof createNeonDurableTier>;

beforeAll(async () => {
  pg = await startPostgresCluster();
  net = await startFaultProxy({ target: { host: '127.0.0.1', port: pg.port } });
  neonProxy = await startNeonProxy({ allowedTargets: [`127.0.0.1:${net.port}`] });
  const options = {
    connectionString: `postgres://postgres@127.0.0.1:${net.port}/postgres`,
    localProxy: `127.0.0.1:${neonProxy.port}`,
  };
  await migrateNeon(options);
  durable = createNeonDurableTier({ ...options, timeoutMs: TIMEOUT_MS });
}, 60_000);

afterAll(async () => {
  await durable?.close();
  await neonProxy?.close();
  await net?.close();
  await pg?.destroy();
}, 30_000);

const version = (n: number, note: string): StoredVersion => {
  const payload = JSON.stringify({ note, step: n });
  return {
    version: n,
    checkpoint: 'CRITICAL',
    hash: `${note}-${n}`.padEnd(64, '0'),
    encoding: 'json',
    payload,
    sizeBytes: payload.length,
    savedAt: Date.now(),
  };
};
const fields: RunFields = {
  agentName: 'deadline',
  parentRunId: null,
  threadId: null,
  userId: null,
  status: 'running',
};

describe('durable commit deadline (Neon driver → proxy → stalled connection → Postgres)', () => {
  it('a commit delivered after its caller timed out writes nothing', async () => {
    const key = { tenantId: 't-deadline', runId: 'late' };
    expect(await durable.commit(key, version(1, 'first'), { run: fields })).toEqual({ status: 'committed' });

    net.blackhole();
    const late = durable.commit(key, version(2, 'late'), { run: fields });
    await expect(late).rejects.toBeInstanceOf(TierUnavailable);
    // The held bytes go through now, well after the deadline; give Postgres time to run them.
    await sleep(TIMEOUT_MS);
    await net.restore();
    await sleep(1_000);

    expect(await durable.loadVersion(key, 2)).toBeNull();
    expect((await durable.getRun(key))?.durableVersion).toBe(1);
    // The run goes on normally: version 2 is still free for the writer's retry.
    expect(await durable.commit(key, version(2, 'retry'), { run: fields })).toEqual({ status: 'committed' });
    expect((await durable.loadVersion(key, 2))?.hash).toBe(version(2, 'retry').hash);
  }, 30_000);
});
