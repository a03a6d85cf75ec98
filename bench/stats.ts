/** Timing helpers for the benchmarks: interleaved samples, percentiles, a printed table. */

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

export interface Measured {
  readonly op: (i: number) => Promise<unknown>;
  /** The op returns its own duration, ms (to leave set-up work inside it out of the figure). */
  readonly selfTimed?: boolean;
}

/**
 * Samples several ops interleaved: each is warmed up (in the order given, so an op can rely on an earlier one's
 * data), then all take turns in `rounds` slices of n/rounds calls. A machine that slows down for a while slows
 * every op alike, so the ratios between them stay honest on a noisy host.
 */
export async function sampleInterleaved<K extends string>(
  n: number,
  ops: Record<K, Measured>,
  rounds = 10,
): Promise<Record<K, Sampled>> {
  const names = Object.keys(ops) as K[];
  const times = new Map<K, number[]>(names.map((name) => [name, []]));
  const once = async (name: K, i: number): Promise<number> => {
    const { op, selfTimed } = ops[name];
    const started = performance.now();
    const own = await op(i);
    return selfTimed ? (own as number) : performance.now() - started;
  };
  for (const name of names) for (let i = 0; i < Math.min(30, n); i++) await once(name, -1 - i);
  const perRound = Math.ceil(n / rounds);
  for (let round = 0; round < rounds; round++) {
    // Rotate who goes first, so no op always runs right after the same neighbour.
    const order = names.map((_, k) => names[(k + round) % names.length]!);
    for (const name of order) {
      const list = times.get(name)!;
      for (let j = 0; j < perRound && list.length < n; j++) list.push(await once(name, list.length));
    }
  }
  const result = {} as Record<K, Sampled>;
  for (const name of names) {
    const sorted = times.get(name)!.sort((a, b) => a - b);
    result[name] = {
      p50: percentile(sorted, 50),
      p99: percentile(sorted, 99),
      mean: sorted.reduce((a, b) => a + b, 0) / sorted.length,
      n: sorted.length,
    };
  }
  return result;
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
