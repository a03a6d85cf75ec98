/** The `archive-completed` scheduled function: completed runs into ClickHouse exactly once, then retention. */

import { functionConfig } from '../../lib/runtime/function-context.ts';
import { lifecycleJobs } from '../../lib/runtime/lifecycle.ts';
import { registerScheduledFunction } from '../../lib/runtime/scheduled-functions.ts';

registerScheduledFunction('archive-completed', lifecycleJobs(functionConfig)['archive-completed']);
