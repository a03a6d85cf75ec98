/** A consistency report as a person reads it in a terminal: a table of kinds, samples, dead letters, errors. */
import type { ConsistencyReport } from './consistency.ts';
import { DRIFT_KINDS, type DriftKind, REPORT_ONLY } from './consistency-drift.ts';

const NOTES: Partial<Record<DriftKind, string>> = {
  hot_ahead_of_durable: 'expected for AUTO saves; repaired for completed runs (all with --make-durable)',
  index_ahead: 'report only',
  archive_mismatch: 'report only',
  spooled_pending: 'report only, whole spool: the drain replays it',
};

export function formatConsistencyReport(
  report: ConsistencyReport,
  options: { readonly repair: boolean },
): string {
  const lines = [
    `Checked ${report.scanned} run(s), repair ${options.repair ? 'on' : 'off'}, ${report.failures} failure(s).`,
    '',
  ];
  const width = Math.max(...DRIFT_KINDS.map((kind) => kind.length));
  lines.push(`${'kind'.padEnd(width)}  ${'found'.padStart(6)}  ${'repaired'.padStart(8)}`);
  for (const kind of DRIFT_KINDS) {
    const fixed = REPORT_ONLY.has(kind) ? '-' : String(report.repaired[kind]);
    let note = NOTES[kind] ?? '';
    if (kind === 'archive_mismatch' && !report.archiveChecked) note = 'not checked: no archive configured';
    const row = `${kind.padEnd(width)}  ${String(report.drift[kind]).padStart(6)}  ${fixed.padStart(8)}`;
    lines.push(note ? `${row}  ${note}` : row);
  }
  if (report.samples.length > 0) {
    lines.push('', 'Samples:');
    for (const s of report.samples) {
      const state = s.repaired
        ? 'repaired'
        : REPORT_ONLY.has(s.kind) || !options.repair
          ? ''
          : 'not repaired';
      lines.push(
        `  ${s.kind.padEnd(width)}  ${s.tenantId}/${s.runId}  ${s.detail}${state ? `  (${state})` : ''}`,
      );
    }
  }
  lines.push('', ...deadLetterLines(report));
  if (report.errors.length > 0) {
    lines.push('', 'Failures:');
    for (const error of report.errors) lines.push(`  ${error}`);
  }
  return lines.join('\n');
}

/** The dead letters: how many, and the first few by run, version and reason. Never a payload. */
function deadLetterLines({ deadLetters }: ConsistencyReport): string[] {
  if (!deadLetters) return ['Dead letters: not checked (no fallback store, or it failed)'];
  if (deadLetters.count === 0) return ['Dead letters: none'];
  const lines = [
    `Dead letters: ${deadLetters.count} spooled write(s) the drain set aside (never replayed; see docs/decisions.md)`,
  ];
  for (const d of deadLetters.first)
    lines.push(
      `  ${d.tenantId}/${d.runId}  v${d.version}  ${d.reason}  ${new Date(d.quarantinedAt).toISOString()}`,
    );
  if (deadLetters.count > deadLetters.first.length)
    lines.push(`  … and ${deadLetters.count - deadLetters.first.length} more`);
  return lines;
}
