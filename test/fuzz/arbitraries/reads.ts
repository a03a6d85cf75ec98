/** The read endpoints' queries: load `?version=`, checkpoints `?limit=&before=`, list runs, cost analytics. */
import fc from 'fast-check';
import { type FuzzCase, type Intent, type RunTarget, worst } from './case.ts';
import { badRunSegment } from './run-ids.ts';

type Param = { readonly text: string; readonly intent: Intent };

const ok = (text: string): Param => ({ text, intent: 'valid' });
const bad = (text: string): Param => ({ text, intent: 'bad' });

const badInts = [
  '0',
  '-1',
  '1.5',
  '1e3',
  'abc',
  '',
  '%zz',
  '9'.repeat(40),
  '0x10',
  '%201',
  '1%00',
  'NaN',
  'Infinity',
];

const param = (name: string, good: fc.Arbitrary<string>, badValues: readonly string[]): fc.Arbitrary<Param> =>
  fc.oneof(
    { weight: 2, arbitrary: good.map((v) => ok(`${name}=${v}`)) },
    { weight: 2, arbitrary: fc.constantFrom(...badValues).map((v) => bad(`${name}=${v}`)) },
  );

/** Parameters joined; unknown and repeated ones are thrown in as bad. */
function query(params: fc.Arbitrary<Param>[]): fc.Arbitrary<Param> {
  const extra = fc.oneof(
    { weight: 5, arbitrary: fc.constant<Param[]>([]) },
    { weight: 1, arbitrary: fc.constantFrom([bad('unknown=1')], [bad('__proto__=1')], [bad('%zz=1')]) },
  );
  return fc
    .tuple(fc.tuple(...params.map((p) => fc.option(p, { nil: undefined }))), extra, fc.boolean())
    .map(([chosen, more, repeat]) => {
      const present = chosen.filter((p): p is Param => p !== undefined);
      const all = [...present, ...more, ...(repeat && present[0] ? [bad(present[0].text)] : [])];
      return { text: all.map((p) => p.text).join('&'), intent: worst(...all.map((p) => p.intent)) };
    });
}

const readRun: fc.Arbitrary<RunTarget> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom<RunTarget>('seed0', 'seed1', 'done') },
  { weight: 1, arbitrary: fc.constant<RunTarget>('fresh') },
  { weight: 1, arbitrary: badRunSegment },
);

const get = (path: string, run: RunTarget | undefined, q: Param, why: string): FuzzCase => ({
  why: `${why}?${q.text}`,
  intent: worst(
    q.intent,
    run === undefined || run === 'seed0' || run === 'seed1' || run === 'done' ? 'valid' : 'bad',
  ),
  method: 'GET',
  path,
  ...(run !== undefined && { run }),
  ...(q.text && { query: q.text }),
  headers: [['authorization', 'Bearer $KEY']],
});

export const loadCase: fc.Arbitrary<FuzzCase> = fc
  .tuple(readRun, query([param('version', fc.constantFrom('1', '$HEAD'), [...badInts, '$NEXT'])]))
  .map(([run, q]) => get('/v1/runs/{run}/state', run, q, 'load'));

export const checkpointsCase: fc.Arbitrary<FuzzCase> = fc
  .tuple(
    readRun,
    query([
      param('limit', fc.constantFrom('1', '2', '1000'), [...badInts, '1001']),
      param('before', fc.constantFrom('1', '2', '$HEAD', '$NEXT'), badInts),
    ]),
  )
  .map(([run, q]) => get('/v1/runs/{run}/checkpoints', run, q, 'checkpoints'));

export const listRunsCase: fc.Arbitrary<FuzzCase> = query([
  param('status', fc.constantFrom('running', 'completed', 'paused', 'failed'), [
    'bogus',
    'RUNNING',
    '',
    '%00',
  ]),
  param('agent', fc.constantFrom('planner', 'worker', 'nobody'), ['', 'a'.repeat(201)]),
  param('parentRunId', fc.constantFrom('$SEED0', 'nobody'), ['../x', '', '-x', 'r'.repeat(129), 'a%2Fb']),
  param('limit', fc.constantFrom('1', '50', '1000'), [...badInts, '1001']),
  param('cursor', fc.constant('$CURSOR'), ['', 'x'.repeat(513), 'garbage', 'eyJ4IjoxfQ', '%FF%FE', 'bnVsbA']),
]).map((q) => get('/v1/runs', undefined, q, 'list runs'));

export const analyticsCase: fc.Arbitrary<FuzzCase> = query([
  param('from', fc.constantFrom('2025-01-01', '2025-06-01T00:00:00Z'), [
    'yesterday',
    '2025-13-01',
    '2025-02-30T99:99:99Z',
    '0',
    '2025-01-01T00:00:00',
    '1e12',
  ]),
  param('to', fc.constantFrom('2025-12-31', '2025-12-31T23:59:59.999+01:00'), [
    '2025-00-10',
    'never',
    '9999-99-99',
  ]),
  param('groupBy', fc.constantFrom('agent', 'model', 'day'), ['week', 'AGENT', '', 'tenant']),
])
  .chain((q) =>
    fc.constantFrom(
      q,
      // Ranges that are well-formed but wrong: reversed, and longer than ten years.
      { text: 'from=2025-06-01&to=2025-01-01', intent: 'bad' as Intent },
      { text: 'from=1990-01-01&to=2025-01-01', intent: 'bad' as Intent },
    ),
  )
  .map((q) => get('/v1/analytics/costs', undefined, q, 'analytics'));
