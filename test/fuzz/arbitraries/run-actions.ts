/** `POST …/restore`, `POST …/complete` and `DELETE /v1/runs/{run}`: good and bad bodies, good and bad runs. */
import fc from 'fast-check';
import { type FuzzCase, type Intent, json, MARK, type RunTarget, worst } from './case.ts';
import { badCount, notANumber, notAString } from './hostile-values.ts';
import { badRunSegment } from './run-ids.ts';

const HEADERS = [
  ['authorization', 'Bearer $KEY'],
  ['content-type', 'application/json'],
] as const;

const version = fc.oneof(
  { weight: 3, arbitrary: fc.constant({ value: 1 as unknown, intent: 'valid' as Intent }) },
  { weight: 1, arbitrary: fc.constant({ value: '$NEXT' as unknown, intent: 'bad' as Intent }) },
  {
    weight: 2,
    arbitrary: fc
      .oneof(badCount, notANumber, fc.constant(0))
      .map((value) => ({ value, intent: 'bad' as Intent })),
  },
);

/** Restore needs a version and a precondition, like a save (a blind restore could lose an update). */
export const restoreCase: fc.Arbitrary<FuzzCase> = fc
  .record({
    run: fc.oneof<fc.Arbitrary<RunTarget>[]>(
      fc.constantFrom<RunTarget>('scratch', 'seed0', 'done', 'fresh'),
      badRunSegment,
    ),
    version: fc.option(version, { nil: undefined }),
    expected: fc.constantFrom('$HEAD', '$NEXT', 'none', 'if-match', 'both'),
    stray: fc.boolean(),
  })
  .map(({ run, version: v, expected, stray }) => {
    const body: Record<string, unknown> = {
      ...(v && { version: v.value }),
      ...(expected === '$HEAD' || expected === '$NEXT' || expected === 'both'
        ? { expectedVersion: expected === '$NEXT' ? '$NEXT' : '$HEAD' }
        : {}),
      ...(stray && { note: MARK }),
    };
    const runIntent: Intent = run === 'scratch' || run === 'seed0' ? 'valid' : 'bad';
    const preIntent: Intent =
      expected === '$HEAD' ? 'valid' : expected === 'if-match' || expected === 'both' ? 'either' : 'bad';
    return {
      why: `restore ${v ? JSON.stringify(v.value) : 'without a version'}, precondition ${expected}${stray ? ', a stray field' : ''}`,
      intent: worst(v?.intent ?? 'bad', runIntent, preIntent, stray ? 'bad' : 'valid'),
      method: 'POST',
      path: '/v1/runs/{run}/restore',
      run,
      headers:
        expected === 'if-match' || expected === 'both' ? [...HEADERS, ['if-match', '"$HEAD"']] : HEADERS,
      body: json(body),
    } satisfies FuzzCase;
  });

const metadata = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.constant({
      value: { model: `m-${MARK}`, inputTokens: 10, outputTokens: 5, costUsd: 0.01 } as unknown,
      intent: 'valid' as Intent,
    }),
  },
  { weight: 1, arbitrary: fc.constant({ value: undefined as unknown, intent: 'valid' as Intent }) },
  {
    weight: 2,
    arbitrary: fc
      .oneof(
        fc.constant({ costUsd: -1, model: MARK }),
        fc.constant({ secret: MARK }),
        badCount.map((n) => ({ outputTokens: n, model: MARK })),
        notAString.map((model) => ({ model, tags: [MARK] })),
        fc.constant(MARK),
      )
      .map((value) => ({ value: value as unknown, intent: 'bad' as Intent })),
  },
);

/** Complete is final: a second completion with another outcome, or one of a missing run, is refused. */
export const completeCase: fc.Arbitrary<FuzzCase> = fc
  .record({
    run: fc.oneof<fc.Arbitrary<RunTarget>[]>(
      fc.constantFrom<RunTarget>('scratch', 'done', 'fresh'),
      badRunSegment,
    ),
    status: fc.oneof(
      {
        weight: 3,
        arbitrary: fc.constantFrom(
          { value: 'completed' as unknown, intent: 'valid' as Intent },
          { value: 'failed' as unknown, intent: 'valid' as Intent },
        ),
      },
      {
        weight: 1,
        arbitrary: fc
          .oneof(fc.constantFrom('running', 'paused', 'COMPLETED', MARK), notAString)
          .map((value) => ({ value: value as unknown, intent: 'bad' as Intent })),
      },
      { weight: 1, arbitrary: fc.constant({ value: undefined as unknown, intent: 'bad' as Intent }) },
    ),
    metadata,
    stray: fc.boolean(),
  })
  .map(({ run, status, metadata: m, stray }) => {
    // `done` was completed with status "completed" and no metadata; a different outcome must be refused.
    const repeat = run === 'done' && status.value === 'completed' && m.value === undefined;
    const runIntent: Intent = run === 'scratch' ? 'valid' : repeat ? 'either' : 'bad';
    return {
      why: `complete ${JSON.stringify(status.value)} on ${typeof run === 'string' ? run : 'a bad id'}${stray ? ', a stray field' : ''}`,
      intent: worst(status.intent, m.intent, runIntent, stray ? 'bad' : 'valid'),
      method: 'POST',
      path: '/v1/runs/{run}/complete',
      run,
      headers: HEADERS,
      body: json({ status: status.value, metadata: m.value, ...(stray && { note: MARK }) }),
    } satisfies FuzzCase;
  });

/** Deleting a scratch run may succeed; a missing, foreign or malformed one must be refused. */
export const deleteCase: fc.Arbitrary<FuzzCase> = fc
  .record({
    run: fc.oneof<fc.Arbitrary<RunTarget>[]>(fc.constantFrom<RunTarget>('scratch', 'fresh'), badRunSegment),
    foreign: fc.boolean(),
  })
  .map(({ run, foreign }) => ({
    why: `delete ${typeof run === 'string' ? run : 'a bad id'}${foreign ? ' with the other tenant’s key' : ''}`,
    intent: run === 'scratch' && !foreign ? 'valid' : 'bad',
    method: 'DELETE',
    path: '/v1/runs/{run}',
    run: foreign && run === 'scratch' ? 'seed0' : run,
    headers: [['authorization', foreign ? 'Bearer $FOREIGN' : 'Bearer $KEY']],
  }));
