/** The drift rules on their own (no engines): the edge cases that retention and archival make legitimate. */
import { describe, expect, it } from 'vitest';
import type { ConsistencyReport } from '../../lib/lifecycle/consistency.ts';
import { DRIFT_KINDS, driftOf } from '../../lib/lifecycle/consistency-drift.ts';
import { formatConsistencyReport } from '../../lib/lifecycle/consistency-format.ts';
import type { ArchivedRun } from '../../lib/tiers/archive/port.ts';
import type { ScannedRun } from '../../lib/tiers/durable/archive-queue-port.ts';
import { version } from '../contracts/durable.contract.ts';

const run = (over: Partial<ScannedRun> = {}): ScannedRun => ({
  tenantId: 't',
  runId: 'r',
  status: 'running',
  durableVersion: 3,
  head: { version: 3, hash: version(3).hash },
  updatedAt: 1,
  completedAt: null,
  archivedAt: null,
  archiveHead: null,
  ...over,
});
const archived = (headVersion: number, headHash: string) => ({ headVersion, headHash }) as ArchivedRun;
const kinds = (scanned: ScannedRun, hot = version(3), arch?: ArchivedRun | null) =>
  driftOf(scanned, { hot, archived: arch }).map((d) => d.kind);

describe('driftOf', () => {
  it('a run whose tiers agree, or whose hot copy is gone, has no drift', () => {
    expect(kinds(run())).toEqual([]);
    expect(driftOf(run(), { hot: null, archived: undefined })).toEqual([]);
    expect(driftOf(run(), { hot: undefined, archived: undefined })).toEqual([]);
  });

  it('compares the hot head with the newest checkpoint, by version and then by hash', () => {
    expect(kinds(run(), version(2))).toEqual(['hot_behind_durable']);
    expect(kinds(run(), version(4))).toEqual(['hot_ahead_of_durable']);
    expect(kinds(run(), version(3, { other: true }))).toEqual(['hot_hash_mismatch']);
    expect(kinds(run({ head: null, durableVersion: 0 }), version(1))).toEqual(['hot_ahead_of_durable']);
  });

  it('the index may lag (repairable) or point past every checkpoint (reported)', () => {
    expect(kinds(run({ durableVersion: 2 }))).toEqual(['index_behind']);
    expect(kinds(run({ durableVersion: 5 }))).toEqual(['index_ahead']);
  });

  it('an archived run whose checkpoints retention removed is not drift: the archive holds its head', () => {
    const gone = run({ head: null, archivedAt: 5, archiveHead: { version: 3, hash: null } });
    expect(kinds(gone, version(3), archived(3, 'x'))).toEqual([]);
    expect(kinds({ ...gone, durableVersion: 4 }, version(3), archived(3, 'x'))).toEqual(['index_ahead']);
  });

  it('an archived run must be in the archive with the head its batch froze', () => {
    const frozen = run({ archivedAt: 5, archiveHead: { version: 2, hash: version(2).hash } });
    expect(kinds(frozen, version(3), archived(2, version(2).hash))).toEqual([]);
    expect(kinds(frozen, version(3), null)).toEqual(['archive_mismatch']);
    expect(kinds(frozen, version(3), archived(3, version(3).hash))).toEqual(['archive_mismatch']);
    expect(kinds(frozen, version(3), archived(2, 'other'))).toEqual(['archive_mismatch']);
    // The hash of a batch head retention removed is unknown: the version alone decides.
    const noHash = { ...frozen, archiveHead: { version: 2, hash: null } };
    expect(kinds(noHash, version(3), archived(2, 'anything'))).toEqual([]);
    // Not asked (no archive configured, or it failed): not judged.
    expect(driftOf(frozen, { hot: version(3), archived: undefined })).toEqual([]);
  });
});

describe('formatConsistencyReport', () => {
  const zero = Object.fromEntries(DRIFT_KINDS.map((k) => [k, 0])) as ConsistencyReport['drift'];
  it('lists every kind, and says when the archive was not checked', () => {
    const text = formatConsistencyReport(
      {
        scanned: 2,
        drift: { ...zero, index_behind: 1 },
        repaired: { ...zero, index_behind: 1 },
        failures: 1,
        samples: [{ kind: 'index_behind', tenantId: 't', runId: 'r', detail: 'index v1', repaired: true }],
        errors: ['t/q: hot tier unavailable'],
        archiveChecked: false,
        deadLetters: null,
      },
      { repair: true },
    );
    for (const kind of DRIFT_KINDS) expect(text).toMatch(new RegExp(`^${kind}\\s`, 'm'));
    expect(text).toMatch(/^index_behind\s+1\s+1$/m);
    expect(text).toMatch(/^archive_mismatch\s+0\s+-\s+not checked: no archive configured$/m);
    expect(text).toContain('t/r  index v1  (repaired)');
    expect(text).toContain('Failures:\n  t/q: hot tier unavailable');
    expect(text).toContain('Dead letters: not checked');
  });

  it('counts the dead letters and lists the first by run, version, reason and time', () => {
    const base = {
      scanned: 0,
      drift: zero,
      repaired: zero,
      failures: 0,
      samples: [],
      errors: [],
      archiveChecked: true,
    };
    const letter = (runId: string, version: number, reason: string) => ({
      tenantId: 't',
      runId,
      version,
      reason,
      quarantinedAt: Date.UTC(2026, 11, 1, 12),
      spoolId: `id-${runId}-${version}`,
    });
    const none = formatConsistencyReport(
      { ...base, deadLetters: { count: 0, first: [] } },
      { repair: false },
    );
    expect(none).toContain('Dead letters: none');
    const text = formatConsistencyReport(
      {
        ...base,
        deadLetters: {
          count: 3,
          first: [letter('p', 2, 'invalid_data'), letter('p', 3, 'after_dead_letter')],
        },
      },
      { repair: false },
    );
    expect(text).toContain('Dead letters: 3 spooled write(s) the drain set aside');
    expect(text).toContain('  t/p  v2  invalid_data  2026-12-01T12:00:00.000Z\n  t/p  v3  after_dead_letter');
    expect(text).toContain('… and 1 more');
  });
});
