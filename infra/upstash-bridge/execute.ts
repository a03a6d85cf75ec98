/**
 * Upstash REST bridge · execute: runs commands on ONE node-redis connection (RESP2, bulk strings as
 * Buffers so replies are byte-exact) and reports each Redis error reply as data.
 * Hand-written because no maintained package reproduces the Upstash REST protocol faithfully.
 */
import { createClient, ErrorReply, RESP_TYPES } from 'redis';

/** What one command produced: a reply, or the Redis error text word for word. */
export type Outcome =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly error: string };

/** A transaction Redis refused to queue (EXECABORT): nothing in it ran. */
export class TransactionAborted extends Error {
  override readonly name = 'TransactionAborted';
}

export interface Executor {
  one(args: string[]): Promise<Outcome>;
  /** In order, not atomic: each command succeeds or fails on its own. */
  pipeline(commands: string[][]): Promise<Outcome[]>;
  /** A real MULTI/EXEC: atomic, and all or nothing when a command cannot be queued. */
  multi(commands: string[][]): Promise<Outcome[]>;
  close(): Promise<void>;
}

const typeMapping = { [RESP_TYPES.BLOB_STRING]: Buffer };

/**
 * ms before reconnect attempt `retries` (0-based) once Redis was reached: 10, 20, 40, then every 50. Upstash is
 * stateless HTTP, with no connection to win back; the bridge stands in for it, so after a restart it must answer
 * again as soon as Redis does. An exponential backoff up to 1 s made it wait ~0.5 s after Redis was back
 * (bench/failover.ts); an attempt every 50 ms on loopback costs nothing worth saving.
 */
export const reconnectDelayMs = (retries: number): number => Math.min(10 * 2 ** retries, 50);

function settle(result: PromiseSettledResult<unknown>): Outcome {
  if (result.status === 'fulfilled') return { ok: true, value: result.value };
  // Anything but an error reply (closed socket, timeout) is the bridge failing, not the command.
  if (result.reason instanceof ErrorReply) return { ok: false, error: result.reason.message };
  throw result.reason;
}

export async function connectExecutor(redisUrl: string): Promise<Executor> {
  let connectedOnce = false;
  const client = createClient({
    url: redisUrl,
    // RESP3 would turn HGETALL into a Map; Upstash answers in RESP2 shapes.
    RESP: 2,
    // Fail fast while Redis is down instead of queueing requests until it returns.
    disableOfflineQueue: true,
    socket: {
      // Reconnect forever once up, but let a bridge started against a dead Redis fail at once.
      reconnectStrategy: (retries: number, cause: Error) =>
        connectedOnce ? reconnectDelayMs(retries) : cause,
    },
  });
  client.on('ready', () => {
    connectedOnce = true;
  });
  // Without a listener node-redis throws connection errors as uncaught; each request reports its own.
  client.on('error', () => {});
  await client.connect();

  // Commands of one request go to the socket back to back (same chain), so nothing interleaves.
  const send = (commands: string[][], chainId: symbol) =>
    Promise.allSettled(commands.map((args) => client.sendCommand(args, { typeMapping, chainId })));

  return {
    async one(args) {
      const [result] = await send([args], Symbol('one'));
      return settle(result!);
    },
    async pipeline(commands) {
      return (await send(commands, Symbol('pipeline'))).map(settle);
    },
    async multi(commands) {
      const results = await send([['MULTI'], ...commands, ['EXEC']], Symbol('multi'));
      const exec = settle(results.at(-1)!);
      if (!exec.ok) {
        // EXECABORT: say which command could not be queued.
        const queued = results.slice(1, -1).map(settle);
        const index = queued.findIndex((o) => !o.ok);
        const first = queued[index];
        const detail = first && !first.ok ? ` (command ${index + 1}: ${first.error})` : '';
        throw new TransactionAborted(`${exec.error}${detail}`);
      }
      const replies = exec.value;
      if (!Array.isArray(replies)) throw new Error('EXEC returned no reply array');
      return replies.map(
        (r): Outcome => (r instanceof ErrorReply ? { ok: false, error: r.message } : { ok: true, value: r }),
      );
    },
    async close() {
      await client.close().catch(() => client.destroy());
    },
  };
}
