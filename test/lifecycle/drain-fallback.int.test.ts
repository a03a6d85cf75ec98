/**
 * drain-fallback on the real engines: the Neon driver → neon-proxy → Postgres refuses the NUL for real, the hot
 * tier is @upstash/redis → the Upstash bridge → Redis, and the spool is a local folder, reopened between drains
 * as after a restart. Before dead letters, the first drain stopped at the refused write every time
 * (`replayed: 3, stoppedEarly: true`), and the good writes behind it never drained.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalFolderFallback } from '../../lib/tiers/fallback/local-folder.ts';
import type { FallbackStore } from '../../lib/tiers/fallback/port.ts';
import { type RealEngines, startRealEngines } from '../support/real-engines.ts';
import { drain, poisonedSpoolFlow, runKey, spoolWrite } from './drain-scenario.ts';

let engines: RealEngines;
const dirs: string[] = [];
const stores: FallbackStore[] = [];

beforeAll(async () => {
  engines = await startRealEngines();
});
afterAll(async () => {
  await Promise.allSettled(stores.map((s) => s.close()));
  await engines?.close();
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function folder(): Promise<{ dir: string; open(): Promise<FallbackStore> }> {
  const dir = await mkdtemp(join(tmpdir(), 'strata-drain-spool-'));
  dirs.push(dir);
  return {
    dir,
    async open() {
      const store = await createLocalFolderFallback({ dir });
      stores.push(store);
      return store;
    },
  };
}

describe('drain-fallback · neon → postgres, upstash → redis, local folder', () => {
  it('quarantines the write Postgres refuses and drains the others past it, across a restart', async () => {
    const spool = await folder();
    const fallback = await spool.open();
    await poisonedSpoolFlow({ durable: engines.durable, hot: engines.hot, fallback }, async (store) => {
      await store.close();
      return spool.open();
    });
  });

  it('the refused write lands in dead-letters/ and the spool folder is left empty', async () => {
    const spool = await folder();
    const fallback = await spool.open();
    const key = runKey('poisoned');
    const refused = await spoolWrite(fallback, key, 1, true);
    const good = runKey('good');
    await spoolWrite(fallback, good, 1);
    expect(await drain({ durable: engines.durable, hot: engines.hot, fallback })).toEqual({
      replayed: 1,
      conflicts: 0,
      quarantined: 1,
      stoppedEarly: false,
      remaining: 0,
    });
    expect(await readdir(spool.dir)).toEqual(['dead-letters']);
    const [name = ''] = await readdir(join(spool.dir, 'dead-letters'));
    expect(name.startsWith(`${refused.id}.`) && name.endsWith('.invalid_data.json')).toBe(true);
    expect(await engines.durable.getRun(key)).toBeNull();
    expect((await engines.durable.loadLatest(good))?.version).toBe(1);
  });
});
