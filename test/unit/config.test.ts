import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../lib/config.ts';
import { mustBeDurable, PLANS } from '../../lib/plans.ts';

describe('loadConfig', () => {
  it('defaults to the embedded tiers', () => {
    const config = loadConfig({});
    expect(config.hot).toEqual({ kind: 'memory' });
    expect(config.durable).toEqual({ kind: 'pglite' });
    expect(config.port).toBe(8080);
    expect(config.dataDir).toBe('.strata');
  });

  it('picks the production backends from their variables', () => {
    const config = loadConfig({
      UPSTASH_REDIS_REST_URL: 'https://eu1.upstash.io',
      UPSTASH_REDIS_REST_TOKEN: 't',
      DATABASE_URL: 'postgres://u:p@host/db',
      STRATA_EPHEMERAL_PATHS: '/data/a, /data/b',
    });
    expect(config.hot).toMatchObject({ kind: 'upstash', url: 'https://eu1.upstash.io', token: 't' });
    expect(config.durable).toMatchObject({
      kind: 'neon',
      connectionString: 'postgres://u:p@host/db',
      localProxy: null,
    });
    expect(config.ephemeralPaths).toEqual(['/data/a', '/data/b']);
  });

  it('names the variable and the fix when something is wrong', () => {
    expect(() => loadConfig({ STRATA_HOT: 'upstash' })).toThrow(/UPSTASH_REDIS_REST_URL is required/);
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(ConfigError);
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT: must be a whole number/);
    expect(() => loadConfig({ DATABASE_URL: 'mysql://x' })).toThrow(/DATABASE_URL/);
  });
});

describe('plans', () => {
  it('decides durability per plan, checkpoint type and version', () => {
    expect(mustBeDurable(PLANS.free, 'CRITICAL', 10)).toBe(false);
    expect(mustBeDurable(PLANS.early, 'AUTO', 10)).toBe(true);
    expect(mustBeDurable(PLANS.early, 'CRITICAL', 3)).toBe(false);
    expect(mustBeDurable(PLANS.mid, 'AUTO', 3)).toBe(false);
    expect(mustBeDurable(PLANS.mid, 'FULL', 3)).toBe(true);
    expect(mustBeDurable(PLANS.enterprise, 'AUTO', 3)).toBe(true);
  });
});
