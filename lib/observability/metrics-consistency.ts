/**
 * The consistency check's report as metrics: for every kind with drift, ONE event carrying what was found and
 * what was repaired (repaired may be 0), so a log line holds both counts and the "found, not repaired" alert
 * compares them per kind. Kinds without drift write nothing: most checks find none.
 */
import type { ConsistencyReport } from '../lifecycle/consistency.ts';
import { DRIFT_KINDS } from '../lifecycle/consistency-drift.ts';
import type { Metrics } from './metrics-port.ts';

export function recordConsistency(
  metrics: Metrics,
  report: Pick<ConsistencyReport, 'drift' | 'repaired'>,
): void {
  for (const kind of DRIFT_KINDS) {
    const found = report.drift[kind];
    if (found === 0) continue;
    metrics.event([
      { name: 'strata_consistency_drift_total', labels: { kind }, value: found },
      { name: 'strata_consistency_repaired_total', labels: { kind }, value: report.repaired[kind] },
    ]);
  }
}
