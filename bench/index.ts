/** `npm run bench`: every benchmark, each figure beside a raw-client baseline measured in the same run. */
import { benchArchive } from './archive.ts';
import { benchCore } from './core.ts';
import { benchFailover } from './failover.ts';
import { benchLoad } from './load.ts';
import { benchStepText } from './step-text.ts';
import { benchWorkload } from './workload/index.ts';

const iterations = Number(process.env.BENCH_ITERATIONS ?? 300);
const started = Date.now();
console.log(`Strata benchmarks — node ${process.version}, ${new Date().toISOString()}`);
const only = process.env.BENCH_ONLY;
if (!only || only === 'core') await benchCore({ iterations });
if (!only || only === 'archive') await benchArchive();
if (!only || only === 'failover') await benchFailover({ repeats: 3 });
if (!only || only === 'load') {
  const think = (process.env.LOAD_THINK_MS ?? '5,25').split(',').map(Number);
  await benchLoad({
    agents: Number(process.env.LOAD_AGENTS ?? 200),
    seconds: Number(process.env.LOAD_SECONDS ?? 60),
    thinkMs: [think[0] ?? 5, think[1] ?? think[0] ?? 25],
  });
}
if (!only || only === 'text') benchStepText();
if (!only || only === 'workload') await benchWorkload();
const memory = process.memoryUsage();
console.log(
  `\nprocess: rss ${(memory.rss / 2 ** 20).toFixed(0)} MiB, heap used ${(memory.heapUsed / 2 ** 20).toFixed(0)} MiB; ` +
    `took ${((Date.now() - started) / 1000).toFixed(1)} s`,
);
process.exit(0);
