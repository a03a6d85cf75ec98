/** Timing helpers for the benchmarks: sequential samples, percentiles, a printed table. */

export interface Sampled {
  readonly p50: number;
  readonly p99: number;
  readonly mean: number;
  readonly n: number;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

/** Runs `op(i)` `warmup` times unmeasured, then `n` times one after another, timing each call. */
export async function sample(
  n: number,
  op: (i: number) => Promise<unknown>,
  warmup = Math.min(30, n),
): Promise<Sampled> {
  for (let i = 0; i < warmup; i++) await op(-1 - i);
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const started = performance.now();
    await op(i);
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return {
    p50: percentile(times, 50),
    p99: percentile(times, 99),
    mean: times.reduce((a, b) => a + b, 0) / n,
    n,
  };
}

/** Like `sample`, but `op` measures itself (to leave set-up work inside it out of the figure). */
export async function sampleTimed(
  n: number,
  op: (i: number) => Promise<number>,
  warmup = Math.min(30, n),
): Promise<Sampled> {
  for (let i = 0; i < warmup; i++) await op(-1 - i);
  const times: number[] = [];
  for (let i = 0; i < n; i++) times.push(await op(i));
  times.sort((a, b) => a - b);
  return {
    p50: percentile(times, 50),
    p99: percentile(times, 99),
    mean: times.reduce((a, b) => a + b, 0) / n,
    n,
  };
}

const ms = (value: number) => `${value.toFixed(2)} ms`.padStart(10);

export interface Comparison {
  readonly name: string;
  readonly measured: Sampled;
  readonly baselineName: string;
  readonly baseline: Sampled;
}

export function printComparisons(title: string, rows: readonly Comparison[]): void {
  console.log(`\n${title}`);
  console.log(
    `${'operation'.padEnd(34)}${'p50'.padStart(10)}${'p99'.padStart(10)}   ${'baseline'.padEnd(30)}${'p50'.padStart(10)}${'p99'.padStart(10)}  ratio p50  ratio p99`,
  );
  for (const row of rows) {
    const ratio50 = row.measured.p50 / row.baseline.p50;
    const ratio99 = row.measured.p99 / row.baseline.p99;
    console.log(
      `${row.name.padEnd(34)}${ms(row.measured.p50)}${ms(row.measured.p99)}   ${row.baselineName.padEnd(30)}${ms(row.baseline.p50)}${ms(row.baseline.p99)}  ${ratio50.toFixed(2).padStart(8)}x ${ratio99.toFixed(2).padStart(8)}x`,
    );
  }
}
