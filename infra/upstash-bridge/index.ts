/**
 * Upstash REST bridge: lets `@upstash/redis` (production client) talk to a real Redis locally and in CI.
 * Hand-written because no maintained package does this faithfully (base64 encoding, multi-exec, auth on
 * every route); see /work/shared/LOCAL-STACK.md, "Upstash REST bridge".
 */
import { randomBytes } from 'node:crypto';
import { connectExecutor } from './execute.ts';
import { createHandler } from './handler.ts';
import { listen } from './server.ts';

export interface UpstashBridgeOptions {
  /**
   * The Redis the bridge forwards to.
   * @default 'redis://127.0.0.1:6379'
   */
  readonly redisUrl?: string;
  /**
   * The bearer token clients must send (`UPSTASH_REDIS_REST_TOKEN`).
   * @default a random token, returned in the result
   */
  readonly token?: string;
  /**
   * Port to listen on; 0 picks a free one.
   * @default 0
   */
  readonly port?: number;
  /**
   * Interface to listen on. Keep it on loopback: the bridge is for local runs and CI.
   * @default '127.0.0.1'
   */
  readonly host?: string;
}

export interface UpstashBridge {
  /** Base URL, the value of `UPSTASH_REDIS_REST_URL`. */
  readonly url: string;
  /** The value of `UPSTASH_REDIS_REST_TOKEN`. */
  readonly token: string;
  /** Stops listening, drops open client connections and closes the Redis connection. */
  close(): Promise<void>;
}

/** Connects to Redis (rejecting at once if it is unreachable), then listens. */
export async function startUpstashBridge(options: UpstashBridgeOptions = {}): Promise<UpstashBridge> {
  const {
    redisUrl = 'redis://127.0.0.1:6379',
    token = randomBytes(24).toString('base64url'),
    port = 0,
    host = '127.0.0.1',
  } = options;
  if (token === '')
    throw new Error('startUpstashBridge: token must not be empty (omit it to get a random one)');
  const executor = await connectExecutor(redisUrl);
  try {
    const server = await listen(createHandler({ token, executor }), { port, host });
    return {
      url: server.url,
      token,
      async close() {
        await server.close();
        await executor.close();
      },
    };
  } catch (e) {
    await executor.close();
    throw e;
  }
}
