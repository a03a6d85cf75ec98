/**
 * Bytes a system keeps in its Postgres database, read with SQL and blind to its schema (so the figure survives a
 * new storage format): on disk, and logical — what the system handed to Postgres before TOAST compressed it.
 */
import pg from 'pg';

type Queryable = Pick<pg.Pool, 'query'>;

export interface PgBytes {
  readonly diskBytes: number;
  readonly logicalBytes: number;
}

const quote = (identifier: string) => `"${identifier.replaceAll('"', '""')}"`;

export async function pgBytes(db: Queryable, schema = 'public'): Promise<PgBytes> {
  const disk = await db.query<{ bytes: string }>(
    `SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::text AS bytes
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relkind IN ('r', 'p')`,
    [schema],
  );
  const columns = await db.query<{ table_name: string; column_name: string; data_type: string }>(
    `SELECT table_name, column_name, data_type FROM information_schema.columns
      WHERE table_schema = $1 ORDER BY table_name, ordinal_position`,
    [schema],
  );
  const byTable = new Map<string, string[]>();
  for (const { table_name, column_name, data_type } of columns.rows) {
    // bytea as its bytes (its text form is hex, twice as long); everything else as the text Postgres prints.
    const column = quote(column_name);
    const length = data_type === 'bytea' ? `octet_length(${column})` : `octet_length(${column}::text)`;
    byTable.set(table_name, [...(byTable.get(table_name) ?? []), `coalesce(${length}, 0)`]);
  }
  let logicalBytes = 0;
  for (const [table, lengths] of byTable) {
    const { rows } = await db.query<{ bytes: string }>(
      `SELECT coalesce(sum(${lengths.join(' + ')}), 0)::text AS bytes FROM ${quote(schema)}.${quote(table)}`,
    );
    logicalBytes += Number(rows[0]?.bytes ?? 0);
  }
  return { diskBytes: Number(disk.rows[0]?.bytes ?? 0), logicalBytes };
}

/** A pg Pool whose idle connections may be ended under it (the scratch database is dropped WITH (FORCE)). */
export function quietPool(connectionString: string, max: number): pg.Pool {
  const pool = new pg.Pool({ connectionString, max });
  pool.on('error', () => {});
  return pool;
}
