/**
 * The archiver's parts (lib/lifecycle/archive-parts.ts): every run in exactly one part, parts near their
 * size, and the same cut on every attempt, even after some of the batch's runs were deleted.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { partsOf } from '../../lib/lifecycle/archive-parts.ts';
import type { ArchivableRun, ClaimedBatch } from '../../lib/tiers/durable/archive-queue-port.ts';

const run = (tenantId: string, runId: string) => ({ tenantId, runId }) as ArchivableRun;
const batchOf = (runs: ArchivableRun[], runCount = runs.length): ClaimedBatch => ({
  batchId: 'b',
  attempt: 1,
  runCount,
  runs,
});
const keys = (parts: ArchivableRun[][]) => parts.map((part) => part.map((r) => `${r.tenantId}/${r.runId}`));

describe('partsOf', () => {
  it('cuts 10,000 runs into 10 parts near 1,000 runs each, every run once, in their order', () => {
    const runs = Array.from({ length: 10_000 }, (_, i) => run(`t${i % 7}`, `run-${i}`));
    const parts = partsOf(batchOf(runs));
    expect(parts).toHaveLength(10);
    for (const part of parts) expect(part.length).toBeGreaterThan(850);
    expect(parts.flat().sort((a, b) => runs.indexOf(a) - runs.indexOf(b))).toEqual(runs);
    for (const part of parts) {
      const positions = part.map((r) => runs.indexOf(r));
      expect(positions).toEqual([...positions].sort((a, b) => a - b));
    }
  });

  it('keeps a small batch whole, and has no part for a batch whose runs are gone', () => {
    const runs = [run('t', 'a'), run('t', 'b')];
    expect(partsOf(batchOf(runs))).toEqual([runs]);
    expect(partsOf(batchOf([], 5))).toEqual([]);
  });

  it('cuts every attempt alike: deleting runs changes only their own parts', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(fc.constantFrom('t1', 't2'), fc.string({ minLength: 1, maxLength: 12 })), {
          minLength: 1,
          maxLength: 60,
          selector: ([t, r]) => `${t}/${r}`,
        }),
        fc.integer({ min: 1, max: 9 }),
        fc.array(fc.boolean(), { minLength: 60, maxLength: 60 }),
        (pairs, runsPerPart, kept) => {
          const runs = pairs.map(([t, r]) => run(t, r));
          const first = partsOf(batchOf(runs), runsPerPart);
          expect(keys(partsOf(batchOf([...runs]), runsPerPart))).toEqual(keys(first));
          // A retry after deletions: the batch keeps its runCount, the survivors keep their parts.
          const survivors = runs.filter((_, i) => kept[i]);
          const retry = partsOf(batchOf(survivors, runs.length), runsPerPart);
          const alive = new Set(keys([survivors]).flat());
          expect(keys(retry)).toEqual(
            keys(first)
              .map((part) => part.filter((k) => alive.has(k)))
              .filter((part) => part.length > 0),
          );
        },
      ),
    );
  });
});
