/** The proxy's allow list: only these Postgres servers can be reached through it, over WebSocket or /sql. */

/** `host:port` strings, compared exactly (no DNS): `localhost:5432` and `127.0.0.1:5432` are different entries. */
export type AllowList = ReadonlySet<string>;

/** `host:port` of a connection string, with Postgres' default port when it names none. */
export function targetOf(connectionString: string): string | null {
  try {
    const url = new URL(connectionString);
    if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') return null;
    return `${url.hostname}:${url.port || '5432'}`;
  } catch {
    return null;
  }
}

/** Splits `host:port`; null when the port is missing or not a number. */
export function splitTarget(target: string): { host: string; port: number } | null {
  const at = target.lastIndexOf(':');
  const port = Number(target.slice(at + 1));
  if (at <= 0 || !Number.isInteger(port) || port <= 0 || port > 65_535) return null;
  return { host: target.slice(0, at), port };
}
