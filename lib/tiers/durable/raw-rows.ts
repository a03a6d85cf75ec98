/**
 * Reading rows of raw SQL statements (`db.execute`), shared by the modules that need data-modifying CTEs drizzle's
 * query builder cannot express. The statements cast every value to int, float8 or text; a driver that hands
 * back a numeric string still maps.
 */

/** `db.execute` answers `{ rows }` on neon-http and PGlite alike; its drizzle type is the driver's. */
export function rowsOf(result: unknown): Record<string, unknown>[] {
  const found = (result as { rows?: unknown }).rows;
  if (!Array.isArray(found)) throw new Error('the database answered without rows');
  return found as Record<string, unknown>[];
}

export function num(value: unknown): number {
  const n = typeof value === 'string' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n))
    throw new Error(`expected a number, got ${String(value)}`);
  return n;
}

export const numOrNull = (value: unknown) => (value === null || value === undefined ? null : num(value));

export function text(value: unknown): string {
  if (typeof value !== 'string') throw new Error(`expected text, got ${String(value)}`);
  return value;
}

export const textOrNull = (value: unknown) => (value === null || value === undefined ? null : text(value));

/** A page size within 1..max, whatever the caller passed. */
export function clampLimit(limit: number, max: number): number {
  return Math.min(max, Math.max(1, Math.trunc(limit) || 1));
}
