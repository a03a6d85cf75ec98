/**
 * A survey, not a test: sends FUZZ_RUNS (default 1000) generated requests and prints every distinct way they
 * break invariants 1, 3 and 5 with the shortest request that shows it — where the suite stops at the first one.
 * Run: node --import tsx test/fuzz/survey.ts
 */
import fc from 'fast-check';
import { anyRequest } from './arbitraries/requests.ts';
import { answerViolations } from './checks.ts';
import { describeSent, Harness } from './support.ts';

const runs = Number(process.env.FUZZ_RUNS ?? 1000);
const seed = Number(process.env.FUZZ_SEED ?? 6902);
const maxLagMs = Number(process.env.FUZZ_MAX_LAG_MS ?? 100);
const harness = await Harness.open();
const found = new Map<string, { count: number; example: string; size: number }>();

for (const c of fc.sample(anyRequest, { seed, numRuns: runs })) {
  const sent = await harness.render(c);
  await harness.service.probeReset();
  const outcome = await harness.send(sent);
  const problems = outcome.answer ? answerViolations(c, outcome.answer) : [`no answer: ${outcome.error}`];
  const reading = outcome.answer ? await harness.service.probeRead() : undefined;
  if (reading && reading.maxLagMs > maxLagMs) problems.push(`event loop held > ${maxLagMs} ms`);
  await new Promise((resolve) => setTimeout(resolve, 5));
  if (harness.output().includes(sent.marker)) problems.push('the body reached the log');
  for (const problem of problems) {
    const kind = `${problem.split(/[:\n]/)[0]?.replace(/\d+/g, 'N')} — ${c.why.split(';')[0]?.replace(/\d+/g, 'N')}`;
    const size = (sent.body?.length ?? 0) + sent.target.length;
    const seen = found.get(kind);
    const example = `${problem.slice(0, 300)}\n${describeSent(sent)}\n→ ${outcome.answer?.status} ${outcome.answer?.body.toString().slice(0, 200)}`;
    if (!seen || size < seen.size) found.set(kind, { count: (seen?.count ?? 0) + 1, example, size });
    else seen.count += 1;
  }
}
for (const [kind, { count, example }] of [...found].sort())
  console.log(`\n### ${kind} (${count}×)\n${example}`);
console.log(`\n${found.size} distinct violations in ${runs} requests`);
await harness.close();
