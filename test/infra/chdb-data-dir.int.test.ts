/**
 * chDB binds ONE data directory per process: a Session on a second directory is refused while the
 * first is open, and works once it is closed. Same-directory Sessions coexist (chdb-http relies on
 * that for its per-request connections). Vitest's forks pool gives each test file its own process.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Session } from 'chdb';
import { afterAll, describe, expect, it } from 'vitest';
import { createChdbFetch } from '../../infra/chdb-http/index.ts';

const dirs = [
  mkdtempSync(join(tmpdir(), 'strata-chdb-a-')),
  mkdtempSync(join(tmpdir(), 'strata-chdb-b-')),
] as const;

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('chDB data directories', () => {
  it('refuses a second directory while one is open, and allows it after close', async () => {
    const [first, second] = dirs;
    const chdbFetch = createChdbFetch({ dataDir: first });
    const sameDir = new Session(first);
    expect(sameDir.query('SELECT 1', 'TSV')).toBe('1\n');
    sameDir.close();
    expect(() => new Session(second)).toThrow(/only one active data directory per process/);
    await chdbFetch.close();

    const later = new Session(second);
    try {
      expect(later.query('SELECT 2', 'TSV')).toBe('2\n');
    } finally {
      later.close();
    }
  });
});
