/** The `state-api` HTTP function (entry point `state-api`): thin wiring over lib/. */
import * as ff from '@google-cloud/functions-framework';
import { expressHandler } from '../../lib/http/express.ts';
import { functionConfig, functionLog, instanceTiers } from '../../lib/runtime/function-context.ts';
import { stateApiDeps } from '../../lib/runtime/state-api.ts';
import { stateApiRoutes } from './routes.ts';

ff.http(
  'state-api',
  expressHandler(
    stateApiRoutes(),
    async () => stateApiDeps(functionConfig, await instanceTiers(), functionLog),
    functionLog,
  ),
);
