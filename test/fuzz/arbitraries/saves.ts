/** `PUT /v1/runs/{run}/state`: whole states and patches, under every combination of preconditions. */
import fc from 'fast-check';
import { type FuzzCase, type Intent, json, MARK, type RunTarget, worst } from './case.ts';
import { badCount, notAString } from './hostile-values.ts';
import { amplification, badPatch, type PatchCase, validPatch } from './patch.ts';
import { bodyFields, ifMatchHeader, preconditionIntent, preconditions } from './preconditions.ts';
import { badRunSegment, goodRun } from './run-ids.ts';
import { awkwardState, badState, notAState, type StateCase, validState } from './state.ts';

const JSON_HEADERS = [
  ['authorization', 'Bearer $KEY'],
  ['content-type', 'application/json'],
] as const;

/** What a save to `run` may expect from the run alone (a completed run takes no saves; a fresh one has no base). */
function runIntent(run: RunTarget, kind: 'state' | 'patch'): Intent {
  if (typeof run !== 'string' || run === 'done') return 'bad';
  return run === 'fresh' && kind === 'patch' ? 'bad' : 'valid';
}

/** Request-level fields next to the state or patch: checkpoint, ttl, and stray ones. */
const extras = fc.oneof(
  { weight: 6, arbitrary: fc.constant({ why: '', intent: 'valid' as Intent, fields: {} }) },
  {
    weight: 2,
    arbitrary: fc
      .record(
        {
          checkpoint: fc.constantFrom('AUTO', 'CRITICAL', 'FULL'),
          ttlSeconds: fc.integer({ min: 1, max: 86_400 }),
        },
        { requiredKeys: [] },
      )
      .map((fields) => ({ why: 'checkpoint/ttl', intent: 'valid' as Intent, fields })),
  },
  {
    weight: 3,
    arbitrary: fc
      .oneof(
        fc.record({ checkpoint: fc.oneof(fc.constantFrom('auto', 'SOMETIMES', ''), notAString) }),
        fc.record({ ttlSeconds: fc.oneof(badCount, fc.constantFrom(0, 90 * 86_400 + 1, '60')) }),
        fc.record({ tenantId: fc.constant(MARK) }),
        fc.record({ runId: fc.constant('other') }),
        fc.constant(JSON.parse('{"__proto__":{"x":1}}') as Record<string, unknown>),
      )
      .map((fields) => ({ why: 'a bad or unknown request field', intent: 'bad' as Intent, fields })),
  },
);

const content: fc.Arbitrary<
  { kind: 'state'; c: StateCase } | { kind: 'patch'; c: PatchCase } | { kind: 'both' | 'neither' }
> = fc.oneof(
  { weight: 3, arbitrary: validState.map((c) => ({ kind: 'state' as const, c })) },
  { weight: 1, arbitrary: awkwardState.map((c) => ({ kind: 'state' as const, c })) },
  { weight: 3, arbitrary: badState.map((c) => ({ kind: 'state' as const, c })) },
  { weight: 1, arbitrary: notAState.map((c) => ({ kind: 'state' as const, c })) },
  { weight: 2, arbitrary: validPatch.map((c) => ({ kind: 'patch' as const, c })) },
  { weight: 3, arbitrary: badPatch.map((c) => ({ kind: 'patch' as const, c })) },
  { weight: 1, arbitrary: fc.constantFrom({ kind: 'both' as const }, { kind: 'neither' as const }) },
);

export const saveCase: fc.Arbitrary<FuzzCase> = fc
  .record({
    run: fc.oneof({ weight: 8, arbitrary: goodRun }, { weight: 1, arbitrary: badRunSegment }),
    content,
    pre: preconditions,
    extra: extras,
  })
  .map(({ run, content: body, pre, extra }) => {
    let payload: Record<string, unknown>;
    let contentIntent: Intent;
    let why: string;
    const kind = body.kind === 'patch' ? 'patch' : 'state';
    if (body.kind === 'state') {
      payload = { state: body.c.state };
      ({ intent: contentIntent, why } = body.c);
    } else if (body.kind === 'patch') {
      payload = { patch: body.c.patch };
      ({ intent: contentIntent, why } = body.c);
    } else {
      payload =
        body.kind === 'both'
          ? {
              state: { agentName: 'p', status: 'running', step: 1, data: MARK },
              patch: [{ op: 'remove', path: '/data' }],
            }
          : { data: MARK };
      contentIntent = 'bad';
      why = `${body.kind} of state and patch`;
    }
    const precondition = preconditionIntent(pre, kind);
    const ifMatch = ifMatchHeader(pre);
    const headers: FuzzCase['headers'] =
      ifMatch === undefined ? JSON_HEADERS : [...JSON_HEADERS, ['if-match', ifMatch]];
    return {
      why: [why, precondition.why, extra.why].filter(Boolean).join('; '),
      intent: worst(contentIntent, precondition.intent, extra.intent, runIntent(run, kind)),
      method: 'PUT',
      path: '/v1/runs/{run}/state',
      run,
      headers,
      body: json({ ...extra.fields, ...payload, ...bodyFields(pre) }),
    } satisfies FuzzCase;
  });

/** A copy-amplification patch with nothing else wrong, so it reaches the patch engine today and after any fix. */
export const amplificationCase: fc.Arbitrary<FuzzCase> = fc
  .tuple(fc.constantFrom<RunTarget>('seed0', 'seed1'), amplification)
  .map(([run, c]) => ({
    why: c.why,
    intent: c.intent,
    method: 'PUT',
    path: '/v1/runs/{run}/state',
    run,
    headers: JSON_HEADERS,
    body: json({ patch: c.patch, baseVersion: '$HEAD' }),
  }));
