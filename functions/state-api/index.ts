/**
 * The `state-api` HTTP function (deploy with --entry-point=state-api). Thin wiring: configuration and tiers are
 * opened once per instance on the first request, then every request goes through the router.
 */
import * as ff from '@google-cloud/functions-framework';
import { loadConfig } from '../../lib/config.ts';
import { expressHandler } from '../../lib/http/express.ts';
import { createLogger } from '../../lib/observability/logger.ts';
import { stateApiDeps } from '../../lib/runtime/state-api.ts';
import { openTiers } from '../../lib/runtime/tiers.ts';
import { stateApiRoutes } from './routes.ts';

const config = loadConfig();
const log = createLogger(config.logLevel);

ff.http(
  'state-api',
  expressHandler(stateApiRoutes(), async () => stateApiDeps(config, await openTiers(config, log), log), log),
);
