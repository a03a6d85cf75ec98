/** Health of each tier, as the persistence endpoint reports it. */
import type { ServiceDeps } from './deps.ts';

export interface TierHealth {
  readonly status: 'up' | 'down';
  readonly latencyMs: number;
  readonly error?: string;
}

export interface PersistenceHealth {
  /** True when a save can be acknowledged: the hot tier or the durable tier takes writes. */
  readonly acceptingWrites: boolean;
  readonly tiers: { readonly hot: TierHealth; readonly durable: TierHealth };
}

async function probe(ping: () => Promise<void>): Promise<TierHealth> {
  const started = performance.now();
  try {
    await ping();
    return { status: 'up', latencyMs: round(performance.now() - started) };
  } catch (error) {
    return { status: 'down', latencyMs: round(performance.now() - started), error: (error as Error).message };
  }
}

const round = (ms: number) => Math.round(ms * 100) / 100;

export async function checkHealth(deps: ServiceDeps): Promise<PersistenceHealth> {
  const [hot, durable] = await Promise.all([probe(() => deps.hot.ping()), probe(() => deps.durable.ping())]);
  return { acceptingWrites: hot.status === 'up' || durable.status === 'up', tiers: { hot, durable } };
}
