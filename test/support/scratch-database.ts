/** A throwaway database on the machine's shared Postgres, so a test file is isolated from the others running. */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The machine's Postgres (trust auth); override with STRATA_TEST_PG_ADMIN_URL. */
const ADMIN_URL = process.env.STRATA_TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface ScratchDatabase {
  readonly name: string;
  /** Connection string of the new database. */
  readonly url: string;
  /** Drops it WITH (FORCE), ending any connection still open; never waits more than a few seconds. */
  drop(): Promise<void>;
}

export async function createScratchDatabase(prefix = 'strata_test'): Promise<ScratchDatabase> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return { name, url: url.href, drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

async function admin(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  client.on('error', () => {});
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    // Client.end() can hang when the server has already gone: give it a bounded moment.
    await Promise.race([
      client.end().catch(() => {}),
      new Promise((resolve) => setTimeout(resolve, 2000).unref()),
    ]);
  }
}
