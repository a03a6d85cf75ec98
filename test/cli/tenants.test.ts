/** `strata tenants create`: a new tenant gets its first key; an existing id is an error and mints nothing. */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'strata-cli-'));
});
afterAll(async () => rm(dataDir, { recursive: true, force: true }));

/** The CLI on the embedded tiers (PGlite in `dataDir`), as a newcomer runs it. */
async function strata(...args: string[]) {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'scripts/cli.ts', ...args], {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        STRATA_DATA_DIR: dataDir,
        STRATA_ARCHIVE: 'none',
      },
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('strata tenants create', () => {
  it('creates a tenant with a key; the same id again is refused without a key', async () => {
    const created = await strata('tenants', 'create', '--id', 'acme', '--name', 'Acme', '--plan', 'mid');
    expect(created.code).toBe(0);
    const body = JSON.parse(created.stdout) as { tenant: { plan: string }; apiKey: string };
    expect(body.tenant.plan).toBe('mid');
    expect(body.apiKey).toMatch(/^sk_strata_/);

    const again = await strata('tenants', 'create', '--id', 'acme', '--name', 'Other', '--plan', 'free');
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain('exists already');
    expect(again.stdout).not.toContain('sk_strata_');
  }, 120_000);
});
