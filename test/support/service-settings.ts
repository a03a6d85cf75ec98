/** The service settings the embedded-adapter unit tests run with (the config defaults, a short receipt TTL). */
import type { ServiceSettings } from '../../lib/service/index.ts';

export const TEST_SETTINGS: ServiceSettings = {
  limits: { maxStateBytes: 1 << 20, maxDepth: 64 },
  compressAboveBytes: 8192,
  ephemeralPaths: [],
  idempotencyTtlSeconds: 600,
};
