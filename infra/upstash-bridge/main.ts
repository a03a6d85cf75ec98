/**
 * Upstash REST bridge · CLI: `tsx infra/upstash-bridge/main.ts` starts the bridge and prints the
 * variables to export so the production client code runs unchanged against local Redis.
 * Hand-written because no maintained package reproduces the Upstash REST protocol faithfully.
 */
import { pathToFileURL } from 'node:url';
import { startUpstashBridge } from './index.ts';

export interface BridgeCliConfig {
  readonly redisUrl: string;
  readonly port: number;
  readonly token: string | undefined;
}

/** Reads `REDIS_URL`, `UPSTASH_BRIDGE_PORT` and `UPSTASH_REDIS_REST_TOKEN`; the error names the variable to fix. */
export function readBridgeConfig(env: NodeJS.ProcessEnv = process.env): BridgeCliConfig {
  const rawPort = env.UPSTASH_BRIDGE_PORT ?? '8079';
  const port = Number(rawPort);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new Error(`UPSTASH_BRIDGE_PORT must be a port number (0-65535), got "${rawPort}"`);
  }
  return {
    redisUrl: env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    port,
    token: env.UPSTASH_REDIS_REST_TOKEN || undefined,
  };
}

async function main(): Promise<void> {
  const config = readBridgeConfig();
  const bridge = await startUpstashBridge({
    redisUrl: config.redisUrl,
    port: config.port,
    ...(config.token ? { token: config.token } : {}),
  });
  process.stdout.write(
    `Upstash REST bridge → ${config.redisUrl}. Export:\n` +
      `UPSTASH_REDIS_REST_URL=${bridge.url}\nUPSTASH_REDIS_REST_TOKEN=${bridge.token}\n`,
  );
  const stop = () => {
    bridge.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

// Run only as the entry point, so tests can import readBridgeConfig.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e: unknown) => {
    process.stderr.write(`upstash-bridge: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
