/** The parts of exactly-once that need no engine: stable chunks and tokens, validation, migration splitting. */
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { InvalidRequest } from '../../lib/errors.ts';
import { chunk, dedupToken, prepareBatch } from '../../lib/tiers/archive/batch.ts';
import { readMigrations, splitStatements } from '../../lib/tiers/archive/migrate.ts';
import { chTime } from '../../lib/tiers/archive/rows.ts';
import { batchOf, checkpoint, run } from '../contracts/archive.contract.ts';

describe('archive batch preparation', () => {
  it('gives the same rows, order and tokens whatever order the batch lists them in', () => {
    const batch = batchOf('t', 30, 2);
    const shuffled = {
      ...batch,
      runs: [...batch.runs].sort(() => 0.5 - Math.random()),
      checkpoints: [...batch.checkpoints].reverse(),
    };
    const [a, b] = [prepareBatch(batch), prepareBatch(shuffled)];
    expect(b.runs).toEqual(a.runs);
    expect(b.checkpoints).toEqual(a.checkpoints);
    expect(dedupToken(b, 'archived_runs', 0)).toBe(dedupToken(a, 'archived_runs', 0));
  });

  it('names table, chunk and content in every token', () => {
    const batch = prepareBatch(batchOf('t', 2, 1));
    const tokens = new Set([
      dedupToken(batch, 'archived_runs', 0),
      dedupToken(batch, 'archived_runs', 1),
      dedupToken(batch, 'archived_checkpoints', 0),
      dedupToken(prepareBatch({ ...batchOf('t', 3, 1), batchId: batch.batchId }), 'archived_runs', 0),
    ]);
    expect(tokens.size).toBe(4);
  });

  it('sorts by code unit, not by locale', () => {
    const ids = ['b', 'B', 'a', 'é', 'Z'];
    const batch = prepareBatch({
      batchId: 'x',
      runs: ids.map((runId) => run({ tenantId: 't', runId })),
      checkpoints: [],
    });
    expect(batch.runs.map((r) => r.runId)).toEqual(['B', 'Z', 'a', 'b', 'é']);
  });

  it('keeps the decoded canonical JSON of gzip-base64 checkpoints', () => {
    const key = { tenantId: 't', runId: 'r' };
    const plain = checkpoint(key, 1, { text: 'héllo' });
    const packed = {
      ...plain,
      encoding: 'gzip-base64' as const,
      payload: gzipSync(plain.payload).toString('base64'),
    };
    const [prepared] = prepareBatch({ batchId: 'x', runs: [run(key)], checkpoints: [packed] }).checkpoints;
    expect(prepared?.canonical).toBe(plain.payload);
  });

  it('lists every problem of a malformed batch', () => {
    const key = { tenantId: 't', runId: 'r' };
    const bad = { ...checkpoint(key, 1), hash: 'nope' };
    const error = (() => {
      try {
        prepareBatch({
          batchId: '',
          runs: [run(key, { inputTokens: 1.5 })],
          checkpoints: [bad, { ...bad, runId: 'x' }],
        });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(InvalidRequest);
    expect(Object.keys((error as InvalidRequest).issues ?? {}).sort()).toEqual([
      'batchId',
      'checkpoints.0',
      'checkpoints.1',
      'runs.0',
    ]);
  });
});

describe('archive times', () => {
  it('chTime writes what toISOString would, without its T and Z, from 1970 to past 2106', () => {
    const iso = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
    // biome-ignore format: a list of edge values
    const edges = [0, 1, 9, 10, 99, 100, 999, 1000, 59_999, 3_599_999, 86_399_999, 86_400_000, 951_782_400_000,
      4_294_967_295_000, 253_402_300_799_999, 253_402_300_800_000, -1, -86_400_001, 1.5];
    const random = Array.from({ length: 20_000 }, () => Math.floor(Math.random() * 4_294_967_295_000));
    for (const ms of [...edges, ...random]) expect(chTime(ms)).toBe(iso(ms));
  });
});

describe('archive chunks', () => {
  it('cut by rows and by bytes; an item larger than the byte limit travels alone', () => {
    const limits = { rows: 3, bytes: 10 };
    expect(chunk([1, 1, 1, 1, 1, 1, 1], () => 1, limits)).toEqual([[1, 1, 1], [1, 1, 1], [1]]);
    expect(chunk([4, 4, 4, 20, 1], (n) => n, limits)).toEqual([[4, 4], [4], [20], [1]]);
    expect(chunk([], () => 1, limits)).toEqual([]);
  });
});

describe('archive migration files', () => {
  it('split on the marker line, never on a ; inside a string or comment', () => {
    const sql = [
      '-- header; with a semicolon',
      "CREATE TABLE a (x String DEFAULT ';') ENGINE = Memory;",
      '--> statement-breakpoint',
      '-- only a comment here',
      '--> statement-breakpoint',
      "INSERT INTO a VALUES ('--> statement-breakpoint inside a line')",
    ].join('\n');
    expect(splitStatements(sql)).toEqual([
      "-- header; with a semicolon\nCREATE TABLE a (x String DEFAULT ';') ENGINE = Memory",
      "INSERT INTO a VALUES ('--> statement-breakpoint inside a line')",
    ]);
  });

  it('are numbered, ordered and one statement per piece', async () => {
    const migrations = await readMigrations();
    expect(migrations.map((m) => m.version)).toEqual([1, 2, 3, 4]);
    for (const m of migrations) {
      // Every statement can be run again: an interrupted migration is applied again from its start.
      for (const statement of m.statements)
        expect(statement).toMatch(
          /^(--[^\n]*\n)*(CREATE (TABLE|MATERIALIZED VIEW) IF NOT EXISTS |ALTER TABLE \w+ ADD COLUMN IF NOT EXISTS )/,
        );
    }
  });
});
