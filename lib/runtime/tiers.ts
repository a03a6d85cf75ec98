/** Opens the tiers the configuration names: production backends, or the embedded defaults that need no server. */
import { join } from 'node:path';
import type { Config } from '../config.ts';
import type { DurableTier, TenantDirectory } from '../tiers/durable/port.ts';
import type { HotTier } from '../tiers/hot/port.ts';

export interface Tiers {
  readonly hot: HotTier;
  readonly durable: DurableTier & TenantDirectory;
  close(): Promise<void>;
}

export async function openTiers(config: Config): Promise<Tiers> {
  const hot = await openHot(config);
  const durable = await openDurable(config);
  return {
    hot,
    durable,
    async close() {
      await Promise.allSettled([hot.close(), durable.close()]);
    },
  };
}

async function openHot(config: Config): Promise<HotTier> {
  if (config.hot.kind === 'upstash') {
    const { createUpstashHotTier } = await import('../tiers/hot/upstash.ts');
    return createUpstashHotTier({
      url: config.hot.url,
      token: config.hot.token,
      timeoutMs: config.hot.timeoutMs,
    });
  }
  const { createMemoryHotTier } = await import('../tiers/hot/memory.ts');
  return createMemoryHotTier({ persistPath: join(config.dataDir, 'hot-tier.json') });
}

async function openDurable(config: Config): Promise<DurableTier & TenantDirectory> {
  if (config.durable.kind === 'neon') {
    const { createNeonDurableTier } = await import('../tiers/durable/neon.ts');
    return createNeonDurableTier({
      connectionString: config.durable.connectionString,
      timeoutMs: config.durable.timeoutMs,
      ...(config.durable.localProxy && { localProxy: config.durable.localProxy }),
    });
  }
  // PGlite (WASM Postgres) is the embedded default: loaded only when used, it costs ~4 s to start.
  const { createPgliteDurableTier } = await import('../tiers/durable/pglite.ts');
  return createPgliteDurableTier({ dataDir: join(config.dataDir, 'pglite') });
}
