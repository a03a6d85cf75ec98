/**
 * A step's state text (`BENCH_ONLY=text npm run bench`): the canonical JSON of a patched state, its UTF-8 size and
 * its sha256, which every save of a patch computes (lib/service/versions.ts). Strata's way, shared-json (only
 * what the patch changed is serialised; a long document is measured and hashed in pieces), beside the
 * whole-state way (the canonicalize package, then Buffer.byteLength and sha256 of its text), each on the same
 * states of the agent workload's runs (generated from BENCH_SEED), 30 and 120 steps long. Synchronous code in
 * this process: wall time is CPU time.
 */
import { canonicalText } from '../lib/model/canonical.ts';
import { sharedCanonical } from '../lib/model/shared-json.ts';
import type { PatchOperation } from '../lib/model/state.ts';
import { applyStatePatch } from '../lib/service/patch.ts';
import { percentile } from './stats.ts';
import { type AgentState, generateWorkload } from './workload/generate.ts';
import { workloadOptions } from './workload/options.ts';

interface PerStep {
  readonly shared: number[];
  readonly whole: number[];
  readonly stateBytes: number[];
}

const STATE_LIMIT = 1 << 24;

function measure(seed: number, runs: number, steps: number): PerStep {
  const figures: PerStep = { shared: [], whole: [], stateBytes: [] };
  for (const run of generateWorkload({ seed, runs, steps })) {
    const [first, ...rest] = run.steps;
    if (!first) continue;
    // The head a patch lands on was itself saved (and its subtrees remembered), as in the service.
    let state: unknown = structuredClone(first.state);
    sharedCanonical(state);
    for (const step of rest) {
      state = applyStatePatch(state as AgentState, step.patch as PatchOperation[], STATE_LIMIT);
      const started = performance.now();
      // Both sizes are read inside the timing, as a save reads them (they are measured on first read).
      const shared = sharedCanonical(state);
      const sharedBytes = shared.bytes;
      const between = performance.now();
      const whole = canonicalText(state);
      const wholeBytes = whole.bytes;
      const ended = performance.now();
      if (shared.sha256 !== whole.sha256 || sharedBytes !== wholeBytes)
        throw new Error(`step ${step.step} of ${run.runId}: the two ways disagree`);
      figures.shared.push((between - started) * 1000);
      figures.whole.push((ended - between) * 1000);
      figures.stateBytes.push(wholeBytes);
    }
  }
  return figures;
}

const mean = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / values.length;
const p50 = (values: readonly number[]) =>
  percentile(
    [...values].sort((a, b) => a - b),
    50,
  );

export function benchStepText(): void {
  const { seed } = workloadOptions();
  console.log(
    `\nA step's state text (seed ${seed}): canonical JSON + UTF-8 size + sha256 of each patched state, µs per step ` +
      '(mean / p50), Strata (shared-json) beside the whole-state way (canonicalize + byteLength + sha256)',
  );
  // Warm-up: the JIT, on other runs.
  measure(seed + 1, 5, 30);
  const rows = [
    { label: '100 runs × 30 steps', figures: measure(seed, 100, 30) },
    { label: '25 runs × 120 steps', figures: measure(seed, 25, 120) },
  ];
  console.log(
    `${'runs'.padEnd(22)}${'state KiB (mean)'.padStart(18)}${'Strata'.padStart(18)}${'whole-state'.padStart(18)}` +
      `${'ratio (mean)'.padStart(14)}`,
  );
  for (const { label, figures } of rows) {
    const cell = (values: readonly number[]) => `${mean(values).toFixed(0)} / ${p50(values).toFixed(0)}`;
    console.log(
      `${label.padEnd(22)}${(mean(figures.stateBytes) / 1024).toFixed(1).padStart(18)}` +
        `${cell(figures.shared).padStart(18)}${cell(figures.whole).padStart(18)}` +
        `${`${(mean(figures.shared) / mean(figures.whole)).toFixed(2)}x`.padStart(14)}`,
    );
  }
  const [short, long] = rows.map((row) => row.figures);
  if (short && long) {
    const growth = (pick: (f: PerStep) => readonly number[]) =>
      (mean(pick(long)) / mean(pick(short))).toFixed(2);
    console.log(
      `  per step, 120-step runs ÷ 30-step runs: state ${growth((f) => f.stateBytes)}x, Strata ${growth((f) => f.shared)}x, ` +
        `whole-state ${growth((f) => f.whole)}x (the sha256 of the whole text is the part that grows with the state)`,
    );
  }
}
