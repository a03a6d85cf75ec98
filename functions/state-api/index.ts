/** The `state-api` HTTP function (entry point `state-api`): thin wiring over lib/. */
import * as ff from '@google-cloud/functions-framework';
import {
  functionConfig,
  functionLog,
  functionMetrics,
  instanceTiers,
} from '../../lib/runtime/function-context.ts';
import { stateApiFunction } from '../../lib/runtime/state-api-function.ts';

ff.http('state-api', stateApiFunction(functionConfig, instanceTiers, functionLog, functionMetrics));
