/** Per-instance wiring shared by the deployed functions: configuration, logger and tiers, opened once. */
import { Registry } from 'prom-client';
import { loadConfig } from '../config.ts';
import { createLogger } from '../observability/logger.ts';
import { createMetrics } from '../observability/metrics.ts';
import { openTiers, type Tiers } from './tiers.ts';

const config = loadConfig();
export const functionConfig = config;
export const functionLog = createLogger(config.logLevel);
/** This instance's metrics: STRATA_METRICS=log in the cloud (terraform sets it), one line per event. */
export const functionMetrics = createMetrics(config.metrics, { log: functionLog, registry: new Registry() });

let tiers: Promise<Tiers> | undefined;

/** The tiers of this instance, opened on first use (cold start) and shared by every function it serves. */
export function instanceTiers(): Promise<Tiers> {
  tiers ??= openTiers(config, functionLog, functionMetrics).catch((error: unknown) => {
    tiers = undefined;
    throw error;
  });
  return tiers;
}
