/**
 * Every deployed function, registered with functions-framework. One bundle is deployed once per function;
 * each deploy picks its function with --entry-point / `entry_point` (see terraform/).
 */
import './state-api/index.ts';
import './archive-completed/index.ts';
import './retention/index.ts';
import './consistency-check/index.ts';
import './drain-fallback/index.ts';
import './drain-outbox/index.ts';
