/**
 * Drives one system through the workload and measures it: the writes with `inFlight` runs at a time (closed
 * loop: each run sends its next step when the last one is answered), then latest-state reads with as many in
 * flight and alone, then histories, then a few more runs written alone. Every state read is compared with the generator's; a difference stops the
 * bench.
 */
import { isDeepStrictEqual } from 'node:util';
import fastJsonPatch from 'fast-json-patch';
import { cpuSince, cpuSnapshot } from '../cpu-split.ts';
import { percentile } from '../stats.ts';
import type { AgentState, WorkloadRun } from './generate.ts';
import { type ByteSnapshot, WorkloadMismatch, type WorkloadSystem } from './system.ts';

export interface DriveOptions {
  readonly inFlight: number;
  /** Latest-state reads made one at a time (the first runs). */
  readonly latestAlone: number;
  /**
   * Runs written after the reads, one step at a time and nothing else in flight: what a step costs a lone agent,
   * where the in-flight figures show a host whose CPU is the bound. Not in the byte or CPU figures.
   */
  readonly aloneRuns: readonly WorkloadRun[];
  /** Runs whose newest `historyDepth` states are read, one run at a time. */
  readonly historyRuns: number;
  readonly historyDepth: number;
}

export interface Latency {
  readonly p50: number;
  readonly p99: number;
  readonly n: number;
}

export interface Figures {
  readonly system: string;
  readonly runs: number;
  readonly steps: number;
  readonly write: Latency;
  readonly writesPerSecond: number;
  readonly latestInFlight: Latency;
  readonly latestAlone: Latency;
  readonly writeAlone: Latency;
  readonly history: Latency;
  readonly diskBytesPerRun: number;
  readonly logicalBytesPerRun: number;
  readonly hotBytesPerRun?: number;
  /**
   * CPU of the process doing the system's persistence work, over the writes ÷ steps: Strata's function process;
   * for the peers this process, where their client library runs (the driver's bookkeeping included).
   */
  readonly cpuMsPerStep: number;
  readonly bridgesCpuMsPerStep?: number;
  /** CPU of the machine's Postgres and Redis processes over the writes ÷ steps (where /proc is readable). */
  readonly serversCpuMsPerStep?: number;
  /**
   * All the CPU a step took on this machine: this process (the driver, and a peer's client library), its
   * children (Strata's function and bridges) and the servers. On two cores, 2000 ÷ this bounds writes/s.
   */
  readonly hostCpuMsPerStep?: number;
  /** What the function logged at warn or above, during the writes and during the reads. */
  readonly logged?: { readonly writes: number; readonly reads: number; readonly examples: readonly string[] };
  /** States read back and found equal to the generator's. */
  readonly verified: number;
}

export async function drive(
  system: WorkloadSystem,
  runs: readonly WorkloadRun[],
  warmup: readonly WorkloadRun[],
  options: DriveOptions,
): Promise<Figures> {
  // Warm-up runs (other run ids) first, so JIT and connection pools are warm; their bytes are counted before.
  await inParallel(warmup, options.inFlight, async (run) => {
    for (const step of run.steps) await system.write(run, step);
  });
  const before = await system.bytes();
  const probeBefore = await system.probe?.();
  const writes: number[] = [];
  const started = performance.now();
  const ownBefore = process.cpuUsage();
  const hostBefore = cpuSnapshot();
  await inParallel(runs, options.inFlight, async (run) => {
    for (const step of run.steps) {
      const sent = performance.now();
      await system.write(run, step);
      writes.push(performance.now() - sent);
    }
  });
  const writeSeconds = (performance.now() - started) / 1000;
  const own = process.cpuUsage(ownBefore);
  const host = cpuSince(hostBefore);
  const probeAfter = await system.probe?.();
  const after = await system.bytes();
  const steps = writes.length;

  let verified = 0;
  const check = (expected: AgentState, actual: AgentState, what: string) => {
    if (!isDeepStrictEqual(actual, expected)) {
      const diff = fastJsonPatch.compare(expected, actual).slice(0, 3);
      throw new WorkloadMismatch(
        `${system.name}: ${what} differs from the generator's: ${JSON.stringify(diff)}`,
      );
    }
    verified++;
  };
  const final = (run: WorkloadRun) => run.steps.at(-1)!.state;

  const latestInFlight: number[] = [];
  await inParallel(runs, options.inFlight, async (run) => {
    const sent = performance.now();
    const state = await system.latest(run.runId);
    latestInFlight.push(performance.now() - sent);
    check(final(run), state, `latest state of ${run.runId}`);
  });
  const latestAlone: number[] = [];
  for (const run of runs.slice(0, options.latestAlone)) {
    const sent = performance.now();
    const state = await system.latest(run.runId);
    latestAlone.push(performance.now() - sent);
    check(final(run), state, `latest state of ${run.runId} (alone)`);
  }
  const history: number[] = [];
  for (const run of runs.slice(0, options.historyRuns)) {
    const sent = performance.now();
    const states = await system.history(run.runId, options.historyDepth);
    history.push(performance.now() - sent);
    const expected = run.steps.slice(-options.historyDepth).reverse();
    if (states.length !== expected.length) {
      throw new WorkloadMismatch(
        `${system.name}: history of ${run.runId} has ${states.length} states, expected ${expected.length}`,
      );
    }
    for (const [i, state] of states.entries()) {
      check(expected[i]!.state, state, `state ${expected[i]!.step} of ${run.runId}`);
    }
  }

  const writeAlone: number[] = [];
  for (const run of options.aloneRuns) {
    for (const step of run.steps) {
      const sent = performance.now();
      await system.write(run, step);
      writeAlone.push(performance.now() - sent);
    }
    check(final(run), await system.latest(run.runId), `latest state of ${run.runId} (written alone)`);
  }

  const probeEnd = await system.probe?.();
  const perRun = (pick: (b: ByteSnapshot) => number | undefined) => {
    const [a, b] = [pick(before), pick(after)];
    return a === undefined || b === undefined ? undefined : (b - a) / runs.length;
  };
  const perStep = (pick: (c: NonNullable<typeof probeAfter>) => number) =>
    probeBefore && probeAfter ? (pick(probeAfter) - pick(probeBefore)) / steps : undefined;
  const cpuMsPerStep = perStep((c) => c.functionMs) ?? (own.user + own.system) / 1000 / steps;
  const bridgesCpu = perStep((c) => c.bridgesMs);
  const hot = perRun((b) => b.hotBytes);
  const servers = host && (host.postgresMs + host.redisMs) / steps;
  const all =
    host && (host.mainMs + host.threadsMs + host.childrenMs + host.postgresMs + host.redisMs) / steps;
  return {
    system: system.name,
    runs: runs.length,
    steps: runs[0]?.steps.length ?? 0,
    write: latency(writes),
    writesPerSecond: steps / writeSeconds,
    latestInFlight: latency(latestInFlight),
    latestAlone: latency(latestAlone),
    writeAlone: latency(writeAlone),
    history: latency(history),
    diskBytesPerRun: perRun((b) => b.diskBytes)!,
    logicalBytesPerRun: perRun((b) => b.logicalBytes)!,
    ...(hot !== undefined && { hotBytesPerRun: hot }),
    cpuMsPerStep,
    ...(bridgesCpu !== undefined && { bridgesCpuMsPerStep: bridgesCpu }),
    ...(servers !== null && { serversCpuMsPerStep: servers }),
    ...(all !== null && { hostCpuMsPerStep: all }),
    ...(probeBefore &&
      probeAfter &&
      probeEnd && {
        logged: {
          writes: probeAfter.logged - probeBefore.logged,
          reads: probeEnd.logged - probeAfter.logged,
          examples: probeEnd.examples,
        },
      }),
    verified,
  };
}

function latency(times: number[]): Latency {
  const sorted = [...times].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), n: sorted.length };
}

/** `work` on every item, at most `limit` at a time, in order of the list; the first failure stops the rest. */
async function inParallel<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      try {
        await work(items[next++]!);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  const settled = await Promise.allSettled(Array.from({ length: Math.min(limit, items.length) }, worker));
  const failure = settled.find((outcome) => outcome.status === 'rejected');
  if (failure) throw failure.reason;
}
