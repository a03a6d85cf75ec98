/**
 * The agent-workload benchmark (`BENCH_ONLY=workload npm run bench`): chat-agent runs generated from a seed, saved
 * step by step into Strata, LangGraph's PostgresSaver and a plain-pg floor on the same machine's Postgres, each
 * state read back and verified; then the same with runs four times longer, to show how a step's cost grows.
 */
import { availableParallelism, cpus, loadavg } from 'node:os';
import { drive, type Figures } from './drive.ts';
import { generateWorkload } from './generate.ts';
import { openLangGraph } from './langgraph.ts';
import { type WorkloadOptions, workloadOptions } from './options.ts';
import { openPlainPg } from './plain-pg.ts';
import { printFigures, printGrowth } from './report.ts';
import { openStrata } from './strata.ts';
import type { WorkloadSystem } from './system.ts';

export async function benchWorkload(options: WorkloadOptions = workloadOptions()): Promise<void> {
  const started = performance.now();
  console.log(
    `\nAgent workload (seed ${options.seed}): ${options.runs} runs × ${options.steps} steps, ${options.inFlight} runs ` +
      `in flight; host: ${availableParallelism()} CPUs (${cpus()[0]?.model ?? 'unknown'}), node ${process.version}, ` +
      `load average ${load()}`,
  );
  for (const line of legend(options.inFlight)) console.log(`  ${line}`);

  const short = await variant(options, options.runs, options.steps, options.historyRuns);
  printFigures(`${options.runs} runs × ${options.steps} steps`, short);
  if (options.longRuns > 0) {
    // Four times the states per run: fewer histories keep the bench within its few minutes.
    const long = await variant(
      options,
      options.longRuns,
      options.longSteps,
      Math.ceil(options.historyRuns / 4),
    );
    printFigures(`${options.longRuns} runs × ${options.longSteps} steps`, long);
    printGrowth(short, long);
  }
  console.log(
    `  workload bench took ${((performance.now() - started) / 1000).toFixed(1)} s; host load average now ${load()}`,
  );
}

/** What the figures are, printed above them. */
function legend(inFlight: number): string[] {
  return [
    'a step appends 1–2 chat messages to data.messages, changes 2–4 keys of data.scratch, and every 5th step',
    '  appends a 2–8 KB entry to data.tool_results (a 30-step run ends near 70 KB of JSON)',
    'Strata: state-api (functions-framework) in a child process; each step one PUT /v1/runs/{id}/state with the',
    '  RFC 6902 patch, CRITICAL, enterprise tenant; Redis and Postgres through the Upstash bridge and the Neon',
    '  proxy (another child process). Peers straight to the same Postgres over TCP: LangGraph PostgresSaver.put',
    '  per step with only the changed channels; plain pg one jsonb INSERT of the delta per step (latest = replay).',
    `closed loop: write p50/p99, writes/s and "latest p50" run ${inFlight} runs in flight, each sending its next`,
    '  request when the last is answered; "alone p50" (latest state) and "hist30 p50" (newest 30 states of a run;',
    '  Strata: one GET /v1/runs/{id}/states?limit=30) one at a time; "write alone" the steps of further runs with',
    '  nothing else in flight (the host idle but for that step). Latencies (ms) compare only on a quiet host.',
    "bytes per run: growth over the measured writes ÷ runs. disk = pg_total_relation_size of the system's tables",
    '  (heap, TOAST, indexes, dead tuples); logical = Σ octet_length of every stored value (bytea raw, the rest as',
    "  text) before TOAST; Redis = MEMORY USAGE of the runs' keys (Strata's hot tier).",
    'CPU ms/step: process.cpuUsage() over the writes ÷ steps, of the process doing the persistence work: Strata',
    '  the function process (over IPC), the peers this one (their client library); bridges ms/step: the Upstash',
    "  bridge + Neon proxy process (/proc), which stand in for remote services; servers ms/step: the machine's",
    '  Postgres and Redis processes (/proc); host ms/step: all of these and the driver (this process), i.e. the',
    `  machine's CPU per step: on ${availableParallelism()} cores, ${availableParallelism() * 1000} ÷ host ms/step bounds writes/s.`,
  ];
}

/** 1, 5 and 15 minute load averages: other work on the host shows up in every latency. */
const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' / ');

async function variant(
  options: WorkloadOptions,
  runs: number,
  steps: number,
  historyRuns: number,
): Promise<Figures[]> {
  const workload = generateWorkload({ seed: options.seed, runs, steps });
  const warmup = generateWorkload({
    seed: options.seed + 1,
    runs: options.inFlight,
    steps: Math.min(steps, 10),
  });
  // 60 steps written alone at 30 steps per run, 120 at 120.
  const alone = generateWorkload({ seed: options.seed + 2, runs: Math.max(1, Math.ceil(60 / steps)), steps });
  const openers: ReadonlyArray<() => Promise<WorkloadSystem>> = [
    openStrata,
    () => openLangGraph(options.inFlight),
    () => openPlainPg(options.inFlight),
  ];
  const figures: Figures[] = [];
  for (const open of openers) {
    const system = await open();
    try {
      figures.push(
        await drive(system, workload, warmup, {
          inFlight: options.inFlight,
          latestAlone: Math.min(runs, 50),
          aloneRuns: alone,
          historyRuns: Math.min(runs, historyRuns),
          historyDepth: options.historyDepth,
        }),
      );
    } finally {
      await system.close();
    }
  }
  return figures;
}
