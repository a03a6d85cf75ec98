/** Prints the workload figures: one row per system, Strata's ratio to each peer, and the growth with run length. */
import type { Figures } from './drive.ts';

interface Column {
  readonly label: string;
  readonly pick: (f: Figures) => number | undefined;
  readonly format: (value: number) => string;
}

const ms = (value: number) =>
  value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2);
const kib = (bytes: number) => (bytes / 1024).toFixed(1);
const rate = (value: number) => value.toFixed(0);

const COLUMNS: readonly Column[] = [
  { label: 'write p50', pick: (f) => f.write.p50, format: ms },
  { label: 'write p99', pick: (f) => f.write.p99, format: ms },
  { label: 'writes/s', pick: (f) => f.writesPerSecond, format: rate },
  { label: 'write alone', pick: (f) => f.writeAlone.p50, format: ms },
  { label: 'latest p50', pick: (f) => f.latestInFlight.p50, format: ms },
  { label: 'alone p50', pick: (f) => f.latestAlone.p50, format: ms },
  { label: 'hist30 p50', pick: (f) => f.history.p50, format: ms },
  { label: 'disk KiB/run', pick: (f) => f.diskBytesPerRun, format: kib },
  { label: 'logical KiB/run', pick: (f) => f.logicalBytesPerRun, format: kib },
  { label: 'Redis KiB/run', pick: (f) => f.hotBytesPerRun, format: kib },
  { label: 'CPU ms/step', pick: (f) => f.cpuMsPerStep, format: ms },
  { label: 'bridges ms/step', pick: (f) => f.bridgesCpuMsPerStep, format: ms },
  { label: 'servers ms/step', pick: (f) => f.serversCpuMsPerStep, format: ms },
  { label: 'host ms/step', pick: (f) => f.hostCpuMsPerStep, format: ms },
];

const NAME_WIDTH = 36;
const cell = (text: string, label: string) => text.padStart(Math.max(label.length, 8) + 2);
const defined = (value: number | undefined): value is number => value !== undefined && Number.isFinite(value);

export function printFigures(title: string, rows: readonly Figures[]): void {
  console.log(`\n${title}`);
  console.log(`${'system'.padEnd(NAME_WIDTH)}${COLUMNS.map((c) => cell(c.label, c.label)).join('')}`);
  for (const row of rows) {
    const cells = COLUMNS.map((c) => {
      const value = c.pick(row);
      return cell(defined(value) ? c.format(value) : '–', c.label);
    });
    console.log(`${row.system.padEnd(NAME_WIDTH)}${cells.join('')}`);
  }
  const [strata, ...peers] = rows;
  if (!strata) return;
  for (const peer of peers) {
    const cells = COLUMNS.map((c) => {
      const [mine, theirs] = [c.pick(strata), c.pick(peer)];
      return cell(
        defined(mine) && defined(theirs) && theirs !== 0 ? `${(mine / theirs).toFixed(2)}x` : '–',
        c.label,
      );
    });
    console.log(
      `${`  Strata / ${peer.system}`.slice(0, NAME_WIDTH - 1).padEnd(NAME_WIDTH)}${cells.join('')}`,
    );
  }
  for (const row of rows) {
    if (!row.logged) continue;
    const { writes, reads, examples } = row.logged;
    console.log(
      writes + reads === 0
        ? `  ${row.system}'s function logged no warning: every request took the normal path (no tier timeout)`
        : `  ${row.system}'s function logged ${writes} warnings during the writes and ${reads} during the reads — ` +
            `requests that left the normal path (figures include them), e.g. ${examples.map((e) => `"${e}"`).join('; ')}`,
    );
  }
  const counts = rows.map((r) => `${r.system} ${r.verified}`).join(', ');
  console.log(`  states read back and verified equal to the generator's (isDeepStrictEqual): ${counts}`);
  const samples = rows[0];
  if (samples) {
    console.log(
      `  samples per system: ${samples.write.n} writes, ${samples.latestInFlight.n} latest reads in flight, ` +
        `${samples.latestAlone.n} alone, ${samples.history.n} histories, ${samples.writeAlone.n} writes alone`,
    );
  }
}

/** Per-step figures of the long runs beside the short ones: ≈1x is a constant cost per step, ≈(long/short)x linear. */
export function printGrowth(short: readonly Figures[], long: readonly Figures[]): void {
  const first = short[0];
  const other = long[0];
  if (!first || !other) return;
  const expected = other.steps / first.steps;
  console.log(
    `\nGrowth with run length, per step: ${other.steps}-step runs ÷ ${first.steps}-step runs ` +
      `(1.00x = a step costs the same however long the run; ${expected.toFixed(2)}x = a step costs in proportion ` +
      'to the run so far, i.e. quadratic per run)',
  );
  const measures: readonly {
    label: string;
    pick: (f: Figures) => number | undefined;
    format: (v: number) => string;
  }[] = [
    { label: 'write p50 ms', pick: (f) => f.write.p50, format: ms },
    { label: 'disk B/step', pick: (f) => f.diskBytesPerRun / f.steps, format: rate },
    { label: 'logical B/step', pick: (f) => f.logicalBytesPerRun / f.steps, format: rate },
    { label: 'CPU ms/step', pick: (f) => f.cpuMsPerStep, format: ms },
  ];
  const header = measures.map((m) =>
    cell(`${m.label} ${first.steps} → ${other.steps}`, `${m.label} 30 → 120 (ratio)`),
  );
  console.log(`${'system'.padEnd(NAME_WIDTH)}${header.join('')}`);
  for (const row of short) {
    const peer = long.find((f) => f.system === row.system);
    if (!peer) continue;
    const cells = measures.map((m) => {
      const [a, b] = [m.pick(row), m.pick(peer)];
      const text =
        defined(a) && defined(b) ? `${m.format(a)} → ${m.format(b)} (${(b / a).toFixed(2)}x)` : '–';
      return cell(text, `${m.label} 30 → 120 (ratio)`);
    });
    console.log(`${row.system.padEnd(NAME_WIDTH)}${cells.join('')}`);
  }
}
