/** Per-instance wiring shared by the deployed functions: configuration, logger and tiers, opened once. */
import { loadConfig } from '../config.ts';
import { createLogger } from '../observability/logger.ts';
import { openTiers, type Tiers } from './tiers.ts';

const config = loadConfig();
export const functionConfig = config;
export const functionLog = createLogger(config.logLevel);

let tiers: Promise<Tiers> | undefined;

/** The tiers of this instance, opened on first use (cold start) and shared by every function it serves. */
export function instanceTiers(): Promise<Tiers> {
  tiers ??= openTiers(config, functionLog).catch((error: unknown) => {
    tiers = undefined;
    throw error;
  });
  return tiers;
}
