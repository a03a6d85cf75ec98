/**
 * CLI: serve a chDB data directory on the ClickHouse HTTP interface, for curl and other processes.
 *   CHDB_DATA_DIR=.data/chdb CHDB_HTTP_PORT=8123 npx tsx infra/chdb-http/main.ts
 */
import { serverOptionsFromEnv } from './config.ts';
import { startChdbHttpServer } from './server.ts';

try {
  const server = await startChdbHttpServer(serverOptionsFromEnv());
  console.log(`chdb-http: ClickHouse HTTP interface on ${server.url}`);
  const stop = () => {
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} catch (err) {
  console.error(`chdb-http: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
