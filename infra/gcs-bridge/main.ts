/**
 * CLI: the GCS bridge on 127.0.0.1, printing what to export so Strata spools to it.
 *   GCS_BRIDGE_PORT=4443 GCS_BRIDGE_BUCKETS=strata-spool npx tsx infra/gcs-bridge/main.ts
 */
import { startGcsBridge } from './server.ts';

const port = Number(process.env.GCS_BRIDGE_PORT ?? 4443);
const buckets = (process.env.GCS_BRIDGE_BUCKETS ?? 'strata-spool')
  .split(',')
  .map((b) => b.trim())
  .filter(Boolean);
const bridge = await startGcsBridge({ port, buckets });
console.log(`GCS bridge on ${bridge.url} (objects in memory; Ctrl-C to stop). For Strata:

export STRATA_FALLBACK=gcs
export STRATA_FALLBACK_BUCKET=${buckets[0] ?? 'strata-spool'}
export STRATA_GCS_ENDPOINT=${bridge.url}
`);
const stop = () => void bridge.close().then(() => process.exit(0));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
