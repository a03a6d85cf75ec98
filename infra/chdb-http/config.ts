/** The CLI server's options, read once from the environment (kept apart so reading them loads no engine). */
import type { ChdbHttpServerOptions } from './server.ts';

/** Reads `CHDB_DATA_DIR` and `CHDB_HTTP_PORT`; an error names the variable and the fix. */
export function serverOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): ChdbHttpServerOptions {
  const dataDir = env.CHDB_DATA_DIR;
  if (!dataDir) {
    throw new Error(
      'CHDB_DATA_DIR is not set. Set it to the chDB data directory, e.g. CHDB_DATA_DIR=.data/chdb',
    );
  }
  const rawPort = env.CHDB_HTTP_PORT ?? '8123';
  const port = Number(rawPort);
  if (!/^\d+$/.test(rawPort) || port > 65535) {
    throw new Error(`CHDB_HTTP_PORT must be a TCP port (0-65535), got ${JSON.stringify(rawPort)}`);
  }
  return { dataDir, port };
}
