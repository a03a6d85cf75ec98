/**
 * Versioned ClickHouse migrations: clickhouse/migrations/NNNN_name.sql, applied in order and recorded in
 * `schema_migrations`. ClickHouse has no transactional DDL, so every statement is written to be re-run
 * (IF NOT EXISTS): a migration interrupted half-way is simply applied again, and only then recorded.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ClickHouseClient } from '@clickhouse/client-web';
import {
  type ClickHouseArchiveOptions,
  DEFAULT_DATABASE,
  deadlinesOf,
  openClient,
  selectRows,
} from './connection.ts';
import { chTime } from './rows.ts';

export const CLICKHOUSE_MIGRATIONS_FOLDER = fileURLToPath(
  new URL('../../../clickhouse/migrations', import.meta.url),
);

/** Separates statements in a migration file; a server runs one statement per request. */
export const STATEMENT_BREAKPOINT = '--> statement-breakpoint';

export interface ArchiveMigration {
  readonly version: number;
  readonly name: string;
  /** sha256 of the file: an applied migration edited afterwards is refused, not silently skipped. */
  readonly checksum: string;
  readonly statements: readonly string[];
}

const FILE = /^(\d{4})_([a-z0-9_]+)\.sql$/;

/**
 * Splits on whole marker lines, never on `;`: a `;` inside a string or a comment is not a boundary.
 * A piece holding only comments is dropped (the server calls it an empty query).
 */
export function splitStatements(sql: string): string[] {
  const pieces: string[][] = [[]];
  for (const line of sql.split(/\r?\n/)) {
    if (line.trim() === STATEMENT_BREAKPOINT) pieces.push([]);
    else pieces.at(-1)?.push(line);
  }
  return pieces
    .map((lines) => lines.join('\n').trim().replace(/;\s*$/, ''))
    .filter((text) => text.split('\n').some((line) => line.trim() !== '' && !line.trim().startsWith('--')));
}

export async function readMigrations(folder = CLICKHOUSE_MIGRATIONS_FOLDER): Promise<ArchiveMigration[]> {
  const files = (await readdir(folder)).filter((f) => f.endsWith('.sql')).sort();
  const migrations: ArchiveMigration[] = [];
  for (const file of files) {
    const match = FILE.exec(file);
    if (!match?.[1] || !match[2]) {
      throw new Error(`${join(folder, file)}: name migrations NNNN_snake_case.sql (e.g. 0003_add_index.sql)`);
    }
    const text = await readFile(join(folder, file), 'utf8');
    const version = Number(match[1]);
    if (migrations.some((m) => m.version === version)) {
      throw new Error(`${join(folder, file)}: version ${match[1]} is used by two migrations`);
    }
    const checksum = createHash('sha256').update(text).digest('hex');
    migrations.push({ version, name: match[2], checksum, statements: splitStatements(text) });
  }
  return migrations;
}

export interface ArchiveMigrateOptions extends ClickHouseArchiveOptions {
  /** @default clickhouse/migrations at the repository root */
  readonly migrationsFolder?: string;
}

/** Creates the database if missing, then applies the migrations not yet recorded. Resolves to their names. */
export async function migrateClickHouseArchive(options: ArchiveMigrateOptions): Promise<string[]> {
  const database = options.database ?? DEFAULT_DATABASE;
  const migrations = await readMigrations(options.migrationsFolder);
  const { writeMs } = deadlinesOf(options);
  const admin = openClient(options, null);
  try {
    await admin.command({
      query: 'CREATE DATABASE IF NOT EXISTS {db:Identifier}',
      query_params: { db: database },
      abort_signal: AbortSignal.timeout(writeMs),
    });
  } finally {
    await admin.close();
  }
  const client = openClient(options, database);
  try {
    return await applyPending(client, migrations, writeMs);
  } finally {
    await client.close();
  }
}

async function applyPending(
  client: ClickHouseClient,
  migrations: readonly ArchiveMigration[],
  writeMs: number,
): Promise<string[]> {
  const run = (query: string, extra: Partial<Parameters<ClickHouseClient['command']>[0]> = {}) =>
    client.command({ query, abort_signal: AbortSignal.timeout(writeMs), ...extra });
  await run(`CREATE TABLE IF NOT EXISTS schema_migrations
    (version UInt32, name String, checksum String, applied_at DateTime64(3, 'UTC'))
    ENGINE = MergeTree ORDER BY version
    SETTINGS non_replicated_deduplication_window = 1000`);
  const rows = await selectRows<{ version: number; checksum: string }>(
    client,
    'SELECT version, any(checksum) AS checksum FROM schema_migrations GROUP BY version',
    {},
    AbortSignal.timeout(writeMs),
  );
  const applied = new Map(rows.map((r) => [Number(r.version), r.checksum]));
  const done: string[] = [];
  for (const m of migrations) {
    const label = `${String(m.version).padStart(4, '0')}_${m.name}`;
    const recorded = applied.get(m.version);
    if (recorded !== undefined) {
      if (recorded !== m.checksum) {
        throw new Error(
          `ClickHouse migration ${label} was changed after it was applied; add a new migration instead of editing it`,
        );
      }
      continue;
    }
    for (const statement of m.statements) await run(statement);
    // Two processes migrating at once both apply (harmless: IF NOT EXISTS) and both record: the token
    // keeps that to one row.
    await client.insert({
      table: 'schema_migrations',
      format: 'JSONEachRow',
      values: [{ version: m.version, name: m.name, checksum: m.checksum, applied_at: chTime(Date.now()) }],
      clickhouse_settings: { insert_deduplication_token: `migration:${m.version}:${m.checksum}` },
      abort_signal: AbortSignal.timeout(writeMs),
    });
    done.push(label);
  }
  return done;
}
