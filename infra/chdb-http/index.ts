/** chDB behind the ClickHouse HTTP interface: an in-process `fetch` and a loopback server. */

export { ClickHouseHttpError } from './errors.ts';
export {
  type ChdbFetch,
  type ChdbHttpHandler,
  type ChdbHttpOptions,
  createChdbFetch,
  createChdbHandler,
} from './fetch.ts';
export { type ChdbHttpServer, type ChdbHttpServerOptions, startChdbHttpServer } from './server.ts';
