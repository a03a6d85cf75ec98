/**
 * Property-based fuzzing of the state API over the real HTTP path (functions-framework's server, embedded tiers):
 * valid and invalid bodies, headers, run ids and queries, checked against five invariants that keep bad input
 * harmless. FUZZ_SEED fixes the inputs; FUZZ_RUNS (default 200 per property) makes it longer.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { FuzzCase } from './arbitraries/case.ts';
import { anyRequest, badRequest } from './arbitraries/requests.ts';
import { answerViolations, isCleanRefusal } from './checks.ts';
import type { ProbeReading } from './protocol.ts';
import { type Answer, describeSent, Harness, type Outcome, type Sent } from './support.ts';

const SEED = Number(process.env.FUZZ_SEED ?? 6902);
const RUNS = Number(process.env.FUZZ_RUNS ?? 200);
/** Longest the service's event loop may be held by one request (2 shared cores; embedded PGlite runs inline). */
const MAX_LAG_MS = Number(process.env.FUZZ_MAX_LAG_MS ?? 100);
/** How much the service's RSS (peak, and after gc at the end) may grow over the run. */
const MAX_RSS_GROWTH = 256 * 1024 * 1024;
const TIMEOUT_MS = 120_000 + RUNS * 1_000;
const MARKER = /FUZZ\d+x\d+MARK/g;

let harness: Harness;
const tally = { bad: 0, clean: 0, other: new Map<string, number>() };
/** Every marker sent, with its request, to name the request behind a marker found in the log. */
const sentByMarker = new Map<string, string>();

beforeAll(async () => {
  harness = await Harness.open();
}, 120_000);

afterAll(async () => {
  console.log(
    `fuzz (seed ${SEED}, ${RUNS} runs per property): ${tally.bad} bad-input cases tried, ${tally.clean} answered a clean 4xx` +
      (tally.other.size > 0
        ? ` (the rest: ${[...tally.other].map(([k, n]) => `${k}×${n}`).join(', ')})`
        : ''),
  );
  await harness?.close();
});

interface Exchange {
  readonly sent: Sent;
  readonly outcome: Outcome;
  readonly reading: ProbeReading | undefined;
}

/** Render (creating a scratch run if the case has one), run `beforeSend`, send, and read the probes. */
async function exchange(c: FuzzCase, beforeSend?: () => Promise<void>): Promise<Exchange> {
  const sent = await harness.render(c);
  await beforeSend?.();
  if (sentByMarker.size < 50_000) sentByMarker.set(sent.marker, describeSent(sent));
  await harness.service.probeReset();
  const outcome = await harness.send(sent);
  const reading = outcome.answer ? await harness.service.probeRead() : undefined;
  if (c.intent === 'bad') {
    tally.bad += 1;
    if (outcome.answer && isCleanRefusal(outcome.answer)) tally.clean += 1;
    else {
      const what = outcome.answer ? `${sent.method} ${outcome.answer.status}` : 'no answer';
      tally.other.set(what, (tally.other.get(what) ?? 0) + 1);
    }
  }
  return { sent, outcome, reading };
}

function fail(problems: string[], c: FuzzCase, x: Exchange, answer?: Answer): never {
  const said = answer ? `\n--- answered ${answer.status}: ${answer.body.toString('utf8').slice(0, 300)}` : '';
  throw new Error(`${problems.join('\n')}\n--- ${c.intent} case: ${c.why}\n${describeSent(x.sent)}${said}`);
}

const options = (extra: Partial<fc.Parameters<[FuzzCase]>> = {}) => ({ seed: SEED, numRuns: RUNS, ...extra });

describe('the state API keeps bad input harmless', () => {
  it(
    '1. every answer is a catalogued JSON error with its status, or a 2xx of a request that may succeed',
    async () => {
      await fc.assert(
        fc.asyncProperty(anyRequest, async (c) => {
          const x = await exchange(c);
          const answer = x.outcome.answer;
          if (!answer) fail([`no answer: ${x.outcome.error}`], c, x);
          const problems = answerViolations(c, answer);
          if (x.reading?.prototypePolluted) problems.push('Object.prototype of the service was polluted');
          if (c.method === 'HEAD') {
            const get = await harness.send({ ...x.sent, method: 'GET' });
            if (get.answer && get.answer.status !== answer.status)
              problems.push(`HEAD answered ${answer.status} where GET answers ${get.answer.status}`);
          }
          if (problems.length > 0) fail(problems, c, x, answer);
        }),
        options(),
      );
    },
    TIMEOUT_MS,
  );

  it(
    '2. a 4xx changes nothing: heads, hashes, histories and the run index stay as they were',
    async () => {
      const requests = fc.oneof({ weight: 3, arbitrary: badRequest }, { weight: 1, arbitrary: anyRequest });
      // The snapshot after a refused request is the one before the next, unless a scratch run is created between.
      let carried: string | undefined;
      await fc.assert(
        fc.asyncProperty(requests, async (c) => {
          let before = '';
          const x = await exchange(c, async () => {
            before = (c.run !== 'scratch' && carried) || (await harness.snapshot());
          });
          carried = undefined;
          const answer = x.outcome.answer;
          if (!answer) fail([`no answer: ${x.outcome.error}`], c, x);
          if (answer.status < 400 || answer.status >= 500) return;
          const after = await harness.snapshot();
          carried = after;
          if (after !== before)
            fail([`a ${answer.status} changed stored data:\n${lineDiff(before, after)}`], c, x, answer);
        }),
        options(),
      );
    },
    TIMEOUT_MS,
  );

  it(
    `3. no request holds the service's event loop longer than ${MAX_LAG_MS} ms`,
    async () => {
      await fc.assert(
        fc.asyncProperty(anyRequest, async (c) => {
          const x = await exchange(c);
          if (!x.reading) fail([`no answer: ${x.outcome.error}`], c, x);
          if (x.reading.maxLagMs > MAX_LAG_MS)
            fail([`the event loop was held ${x.reading.maxLagMs.toFixed(0)} ms`], c, x, x.outcome.answer);
        }),
        options(),
      );
    },
    TIMEOUT_MS,
  );

  it(
    '4. the service RSS grows less than 256 MiB over the run (peak, and after gc)',
    async () => {
      await fc.assert(
        fc.asyncProperty(anyRequest, async (c) => {
          const x = await exchange(c);
          if (!x.reading) fail([`no answer: ${x.outcome.error}`], c, x);
          const growth = x.reading.maxRssBytes - harness.baseline.maxRssBytes;
          if (growth > MAX_RSS_GROWTH) {
            // The peak stays high for the process's life: start afresh so that shrinking blames the right request.
            await harness.restart();
            fail([`peak RSS grew ${mib(growth)} MiB`], c, x, x.outcome.answer);
          }
        }),
        options(),
      );
      const settled = await harness.service.probeRead(true);
      const growth = settled.rssBytes - harness.baseline.rssBytes;
      if (growth > MAX_RSS_GROWTH) throw new Error(`RSS after gc grew ${mib(growth)} MiB over the run`);
    },
    TIMEOUT_MS,
  );

  it(
    '5. the log never contains a request body (a marker planted in every body never appears)',
    async () => {
      await fc.assert(
        fc.asyncProperty(anyRequest, async (c) => {
          const x = await exchange(c);
          await new Promise((resolve) => setTimeout(resolve, 5));
          if (harness.output().includes(x.sent.marker)) {
            fail(
              [
                `the body's marker ${x.sent.marker} is in the service's output:\n${around(harness.output(), x.sent.marker)}`,
              ],
              c,
              x,
              x.outcome.answer,
            );
          }
        }),
        options(),
      );
      // Output may arrive after the answer: sweep everything once more, for all properties' requests.
      await new Promise((resolve) => setTimeout(resolve, 300));
      const leaked = [...new Set(harness.output().match(MARKER) ?? [])];
      if (leaked.length > 0) {
        const first = leaked[0] ?? '';
        throw new Error(
          `${leaked.length} request bodies reached the log; the first:\n${around(harness.output(), first)}\n--- sent as:\n${sentByMarker.get(first) ?? '?'}`,
        );
      }
    },
    TIMEOUT_MS,
  );
});

const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);

function around(text: string, needle: string): string {
  const at = text.indexOf(needle);
  return text.slice(Math.max(0, at - 300), at + 300);
}

function lineDiff(before: string, after: string): string {
  const a = before.split('\n');
  const b = after.split('\n');
  return a
    .map((line, i) => (line === b[i] ? null : `- ${line.slice(0, 300)}\n+ ${(b[i] ?? '').slice(0, 300)}`))
    .filter((line) => line !== null)
    .join('\n');
}
