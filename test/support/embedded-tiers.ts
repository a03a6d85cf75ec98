/**
 * The embedded tiers of a unit test file (PGlite and the in-process hot tier), opened before its tests and
 * closed after them. `use` receives them once open, for the file's own bindings.
 */
import { afterAll, beforeAll } from 'vitest';
import { createPgliteDurableTier } from '../../lib/tiers/durable/pglite.ts';
import { createMemoryHotTier } from '../../lib/tiers/hot/memory.ts';
import type { HotTier } from '../../lib/tiers/hot/port.ts';

export type EmbeddedDurable = Awaited<ReturnType<typeof createPgliteDurableTier>>;

export function withEmbeddedTiers(use: (tiers: { durable: EmbeddedDurable; hot: HotTier }) => void): void {
  let opened: { durable: EmbeddedDurable; hot: HotTier } | undefined;
  beforeAll(async () => {
    opened = { durable: await createPgliteDurableTier(), hot: await createMemoryHotTier() };
    use(opened);
  });
  afterAll(async () => {
    await opened?.durable.close();
    await opened?.hot.close();
  });
}
