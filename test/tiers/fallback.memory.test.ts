/** The in-process fallback store against the FallbackStore contract. */
import { describe, expect, it } from 'vitest';
import { TierUnavailable } from '../../lib/errors.ts';
import { createMemoryFallback } from '../../lib/tiers/fallback/memory.ts';
import { fallbackContract } from '../contracts/fallback.contract.ts';

fallbackContract({ name: 'memory', create: async () => createMemoryFallback() });

describe('memory fallback store', () => {
  it('refuses every call once closed, as a tier that is gone', async () => {
    const store = createMemoryFallback();
    await store.close();
    await expect(store.count()).rejects.toBeInstanceOf(TierUnavailable);
    await expect(store.ping()).rejects.toBeInstanceOf(TierUnavailable);
  });
});
