/**
 * Fault injection for chaos tests: real servers we may crash, and a proxy that breaks the network.
 *
 * Usage (see test/faults/harness.int.test.ts for every fault shown against real clients):
 *
 *   const redis = await startRedisServer();            // own redis-server on a free loopback port
 *   const pg = await startPostgresCluster();           // own initdb'd cluster (≈1 s), trust auth, fsync on
 *   const net = await startFaultProxy({ target: { host: '127.0.0.1', port: redis.port } });
 *   // point the code under test at 127.0.0.1:${net.port}, then:
 *   net.cut(); net.reset(); net.delay(200); net.blackhole(); await net.restore();
 *   await redis.kill('SIGKILL'); await redis.restart();  // restart = same port, empty data
 *   await pg.stopImmediate(); await pg.kill9(); await pg.start();  // same data dir: WAL recovery
 *   // teardown, in afterAll, even when a test failed:
 *   await net.close(); await redis.stop(); await pg.destroy();
 *
 * Never point these at the machine's shared Redis (6379) or Postgres (5432). Servers are also
 * killed on process exit as a last resort; a test runner killed with SIGKILL can still leak them.
 */
export {
  type PostgresCluster,
  type PostgresClusterOptions,
  startPostgresCluster,
} from './postgres-cluster.ts';
export { type RedisServer, type RedisServerOptions, startRedisServer } from './redis-server.ts';
export {
  type FaultProxy,
  type FaultProxyOptions,
  type FaultProxyStats,
  startFaultProxy,
} from './tcp-proxy.ts';
