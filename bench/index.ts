/** `npm run bench`: every benchmark, each figure beside a raw-client baseline measured in the same run. */
import { benchCore } from './core.ts';

const iterations = Number(process.env.BENCH_ITERATIONS ?? 300);
const started = Date.now();
console.log(`Strata benchmarks — node ${process.version}, ${new Date().toISOString()}`);
await benchCore({ iterations });
const memory = process.memoryUsage();
console.log(
  `\nprocess: rss ${(memory.rss / 2 ** 20).toFixed(0)} MiB, heap used ${(memory.heapUsed / 2 ** 20).toFixed(0)} MiB; ` +
    `took ${((Date.now() - started) / 1000).toFixed(1)} s`,
);
process.exit(0);
