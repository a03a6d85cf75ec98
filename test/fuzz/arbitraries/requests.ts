/** The whole mix: every operation, with header twists where they mean something, and raw bodies anywhere. */
import fc from 'fast-check';
import { type FuzzCase, worst } from './case.ts';
import { anyTwist, authTwist, type HeaderTwist, withTwist } from './headers.ts';
import { rawBody } from './raw-bodies.ts';
import { analyticsCase, checkpointsCase, listRunsCase, loadCase } from './reads.ts';
import { headCase, unknownRouteCase, wrongMethodCase } from './routes.ts';
import { completeCase, deleteCase, restoreCase } from './run-actions.ts';
import { amplificationCase, saveCase } from './saves.ts';

function twisted(c: FuzzCase, t: HeaderTwist): FuzzCase {
  if (t.lines.length === 0 && !t.drop) return c;
  return {
    ...c,
    why: `${c.why}; ${t.why}`,
    intent: worst(c.intent, t.intent),
    headers: withTwist(c.headers, t),
    ...(t.encoding && { encoding: t.encoding }),
  };
}

/** Idempotency-Key is read by saves and restores only, Content-Type and Content-Encoding where there is a body. */
function fitsTwist(c: FuzzCase, t: HeaderTwist): boolean {
  const names = [...t.lines.map(([n]) => n), ...(t.drop ?? [])];
  if (names.includes('idempotency-key')) return c.method === 'PUT' || c.path.endsWith('/restore');
  if (names.includes('content-type') || names.includes('content-encoding')) return c.body !== undefined;
  return true;
}

const withBody = fc.oneof(saveCase, restoreCase, completeCase);
const withoutBody = fc.oneof(loadCase, checkpointsCase, listRunsCase, analyticsCase, deleteCase);

/** A body-bearing request whose body is replaced by raw text: broken JSON, duplicated keys, oversize. */
const rawBodyCase: fc.Arbitrary<FuzzCase> = fc.tuple(withBody, rawBody).map(([c, raw]) => ({
  ...c,
  why: `${c.path.split('/').pop()}: ${raw.why}`,
  // The raw texts are save-shaped: only a save to a run that takes saves might accept one.
  intent:
    raw.intent === 'bad' || c.method !== 'PUT' || c.run === 'done' || typeof c.run !== 'string'
      ? 'bad'
      : 'either',
  body: raw.text,
}));

export const anyRequest: fc.Arbitrary<FuzzCase> = fc
  .tuple(
    fc.oneof(
      { weight: 6, arbitrary: saveCase },
      { weight: 2, arbitrary: restoreCase },
      { weight: 2, arbitrary: completeCase },
      { weight: 4, arbitrary: withoutBody },
      { weight: 3, arbitrary: rawBodyCase },
      { weight: 1, arbitrary: amplificationCase },
      { weight: 1, arbitrary: wrongMethodCase },
      { weight: 1, arbitrary: headCase },
      { weight: 1, arbitrary: unknownRouteCase },
    ),
    anyTwist,
  )
  .map(([c, t]) => (fitsTwist(c, t) ? twisted(c, t) : c));

/** Requests meant to be refused: the raw material of the "a 4xx changes nothing" property. */
export const badRequest: fc.Arbitrary<FuzzCase> = fc
  .tuple(
    fc.oneof(
      anyRequest,
      fc.tuple(fc.oneof(withBody, withoutBody), authTwist).map(([c, t]) => twisted(c, t)),
    ),
  )
  .map(([c]) => c)
  .filter((c) => c.intent === 'bad');
