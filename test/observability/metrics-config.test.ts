/** STRATA_METRICS: prometheus by default (npm start), log or off when set, anything else refused by name. */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../lib/config.ts';

describe('STRATA_METRICS', () => {
  it('defaults to prometheus and accepts log and off', () => {
    expect(loadConfig({}).metrics).toBe('prometheus');
    expect(loadConfig({ STRATA_METRICS: 'log' }).metrics).toBe('log');
    expect(loadConfig({ STRATA_METRICS: 'off' }).metrics).toBe('off');
  });

  it('refuses another sink, naming the variable', () => {
    expect(() => loadConfig({ STRATA_METRICS: 'statsd' })).toThrow(ConfigError);
    expect(() => loadConfig({ STRATA_METRICS: 'statsd' })).toThrow(/STRATA_METRICS/);
  });
});
