/** The workload bench's settings, read once from the environment and validated. */
import * as v from 'valibot';

const count = (min: number, max: number) =>
  v.pipe(
    v.string(),
    v.regex(/^\d+$/, 'must be a whole number'),
    v.transform(Number),
    v.minValue(min),
    v.maxValue(max),
  );

const EnvSchema = v.object({
  /** Seed of the generator: the same seed writes the same bytes. @default "20261201" */
  BENCH_SEED: v.optional(count(0, 2 ** 32 - 1), '20261201'),
  /** Runs of the main workload. @default "100" */
  BENCH_WORKLOAD_RUNS: v.optional(count(1, 10_000), '100'),
  /** Steps per run of the main workload. @default "30" */
  BENCH_WORKLOAD_STEPS: v.optional(count(2, 1_000), '30'),
  /** Runs of the long variant (0 leaves it out). @default "10" */
  BENCH_WORKLOAD_LONG_RUNS: v.optional(count(0, 10_000), '10'),
  /** Steps per run of the long variant. @default "120" */
  BENCH_WORKLOAD_LONG_STEPS: v.optional(count(2, 1_000), '120'),
  /** Runs in flight at once. @default "10" */
  BENCH_WORKLOAD_IN_FLIGHT: v.optional(count(1, 200), '10'),
  /** Runs whose newest 30 states are read back. @default "20" */
  BENCH_WORKLOAD_HISTORY_RUNS: v.optional(count(1, 10_000), '20'),
});

export interface WorkloadOptions {
  readonly seed: number;
  readonly runs: number;
  readonly steps: number;
  readonly longRuns: number;
  readonly longSteps: number;
  readonly inFlight: number;
  readonly historyRuns: number;
  /** States per history read. */
  readonly historyDepth: number;
}

export function workloadOptions(env: Record<string, string | undefined> = process.env): WorkloadOptions {
  const parsed = v.safeParse(EnvSchema, env);
  if (!parsed.success) {
    const issue = parsed.issues[0];
    const name = issue.path?.map((item) => String(item.key)).join('.') ?? 'environment';
    throw new Error(`${name}: ${issue.message} (unset it for the default)`);
  }
  const e = parsed.output;
  return {
    seed: e.BENCH_SEED,
    runs: e.BENCH_WORKLOAD_RUNS,
    steps: e.BENCH_WORKLOAD_STEPS,
    longRuns: e.BENCH_WORKLOAD_LONG_RUNS,
    longSteps: e.BENCH_WORKLOAD_LONG_STEPS,
    inFlight: e.BENCH_WORKLOAD_IN_FLIGHT,
    historyRuns: e.BENCH_WORKLOAD_HISTORY_RUNS,
    historyDepth: 30,
  };
}
