/** Agent states: well-formed ones (marker in `data`), and ones broken in exactly one named way. */
import fc from 'fast-check';
import { type Intent, MARK } from './case.ts';
import {
  badCount,
  hasAwkwardCodeUnits,
  nested,
  notANumber,
  notAString,
  oddString,
  plainData,
} from './hostile-values.ts';

export interface StateCase {
  readonly why: string;
  readonly intent: Intent;
  readonly state: unknown;
}

const base = (data: unknown) => ({ agentName: 'planner', status: 'running', step: 2, data });

export const validState: fc.Arbitrary<StateCase> = fc
  .record({
    data: plainData,
    status: fc.constantFrom('running', 'paused'),
    step: fc.nat({ max: 1000 }),
    metadata: fc.option(
      fc.record({
        model: fc.constant(`m-${MARK}`),
        inputTokens: fc.nat(),
        costUsd: fc.double({ min: 0, max: 5, noNaN: true }),
      }),
      { nil: undefined },
    ),
  })
  .map(({ data, status, step, metadata }) => ({
    why: 'a well-formed state',
    intent: 'valid' as Intent,
    state: { ...base(data), status, step, ...(metadata && { metadata }) },
  }));

/** `data` with odd strings (NUL, lone surrogates, long): the API may take or refuse them, never fail on them. */
export const awkwardState: fc.Arbitrary<StateCase> = fc
  .array(oddString, { minLength: 1, maxLength: 4 })
  .map((strings) => ({
    why: 'data with odd strings',
    intent: (strings.some(hasAwkwardCodeUnits) ? 'either' : 'valid') as Intent,
    state: base({ strings, note: MARK, [strings[0] ?? 'k']: MARK }),
  }));

type Mutation = readonly [why: string, change: fc.Arbitrary<Record<string, unknown>>];

const field = (name: string, values: fc.Arbitrary<unknown>): fc.Arbitrary<Record<string, unknown>> =>
  values.map((value) => ({ [name]: value }));
const meta = (name: string, values: fc.Arbitrary<unknown>) =>
  values.map((value) => ({ metadata: { [name]: value } }));

const mutations: readonly Mutation[] = [
  ['agentName of the wrong type', field('agentName', notAString)],
  ['empty agentName', field('agentName', fc.constant(''))],
  [
    'agentName over 200 chars',
    field(
      'agentName',
      fc.integer({ min: 201, max: 5000 }).map((n) => MARK.padEnd(n, 'n')),
    ),
  ],
  ['status unknown', field('status', fc.constantFrom('sleeping', 'RUNNING', '', MARK))],
  ['status of the wrong type', field('status', notAString)],
  ['step not a count', field('step', badCount)],
  ['step of the wrong type', field('step', notANumber)],
  [
    'parentRunId not an id',
    field('parentRunId', fc.constantFrom('../etc', '', ' x', 'a/b', 'x'.repeat(129), MARK)),
  ],
  ['threadId of the wrong type', field('threadId', notAString)],
  ['userId not an id', field('userId', fc.constantFrom('-u', 'u\u0000', 'é'))],
  ['unknown state field', field('tenantId', fc.constant(MARK))],
  [
    '__proto__ as a state field',
    fc.constant(JSON.parse(`{"__proto__":{"polluted":"${MARK}"}}`) as Record<string, unknown>),
  ],
  ['metadata of the wrong type', field('metadata', fc.constantFrom(MARK, 1, [], true))],
  ['unknown metadata field', meta('cost', fc.constant(MARK))],
  ['negative or huge cost', meta('costUsd', fc.constantFrom(-1, -0.0001, 1e9 + 1, 1e300))],
  ['tokens not a count', meta('inputTokens', badCount)],
  ['model over 200 chars', meta('model', fc.constant(MARK.padEnd(201, 'm')))],
  ['tags not strings', meta('tags', fc.constantFrom([1], [null], MARK, [[MARK]]))],
  ['over 50 tags', meta('tags', fc.constant(Array.from({ length: 51 }, () => MARK)))],
  ['a tag over 100 chars', meta('tags', fc.constant([MARK.padEnd(101, 't')]))],
  [
    'data nested too deep',
    field(
      'data',
      fc.integer({ min: 20, max: 400 }).chain((n) => fc.boolean().map((a) => nested(n, a))),
    ),
  ],
];

export const badState: fc.Arbitrary<StateCase> = fc
  .constantFrom(...mutations)
  .chain(([why, change]) =>
    change.map((patch) => ({ why, intent: 'bad' as Intent, state: { ...base({ note: MARK }), ...patch } })),
  );

/** The state object itself missing or of the wrong type. */
export const notAState: fc.Arbitrary<StateCase> = fc
  .oneof(
    fc.constantFrom(null, MARK, 7, [base({ note: MARK })]),
    fc.constantFrom('agentName', 'status', 'step').map((drop) => {
      const { [drop as 'step']: _, ...rest } = base({ note: MARK });
      return rest;
    }),
  )
  .map((state) => ({ why: 'state missing a field or not an object', intent: 'bad' as Intent, state }));
