/** RFC 6902 patches: well-formed ones, and every kind of bad one, copy/move amplification chains included. */
import fc from 'fast-check';
import { type Intent, MARK } from './case.ts';

export interface PatchCase {
  readonly why: string;
  readonly intent: Intent;
  readonly patch: unknown;
}

/** Applies to every seeded run: their states all have `data` and agentName planner or worker. */
export const validPatch: fc.Arbitrary<PatchCase> = fc
  .array(
    fc.oneof(
      fc.nat({ max: 20 }).map((k) => ({ op: 'add', path: `/data/k${k}`, value: MARK })),
      fc.constant({ op: 'replace', path: '/data', value: { note: MARK } }),
      fc.constant({ op: 'replace', path: '/step', value: 3 }),
      fc.constant({ op: 'copy', from: '/status', path: '/data/status' }),
    ),
    { minLength: 1, maxLength: 8 },
  )
  .map((patch) => ({ why: 'a well-formed patch', intent: 'valid' as Intent, patch }));

/**
 * Each step doubles the state (`copy /data` into itself): 1 KiB becomes 2^n KiB. The state limit (256 KiB here)
 * must refuse it long before the service holds 2^n of anything.
 */
export const amplification: fc.Arbitrary<PatchCase> = fc
  .record({
    steps: fc.integer({ min: 9, max: 60 }),
    moves: fc.boolean(),
    viaArray: fc.boolean(),
  })
  .map(({ steps, moves, viaArray }) => {
    const patch: unknown[] = [{ op: 'replace', path: '/data', value: { s: `${MARK}${'x'.repeat(1024)}` } }];
    for (let i = 0; i < steps; i++) {
      patch.push(
        viaArray
          ? { op: 'copy', from: '/data', path: `/data/c${i}` }
          : { op: 'copy', from: '/data', path: `/data/${i % 2 ? 'a' : 'b'}${i}` },
      );
      if (moves)
        patch.push({
          op: 'move',
          from: `/data/${viaArray ? 'c' : i % 2 ? 'a' : 'b'}${i}`,
          path: `/data/m${i}`,
        });
    }
    return { why: `copy amplification, ${steps} doublings`, intent: 'bad' as Intent, patch };
  });

const pointerish = fc.constantFrom('data', 'data/x', '/data/~2', '/data/~', '#/data', ' /data');

export const badPatch: fc.Arbitrary<PatchCase> = fc.oneof(
  amplification,
  fc
    .constantFrom(
      ['prototype at the root', [{ op: 'add', path: '/__proto__/polluted', value: MARK }]],
      ['constructor.prototype', [{ op: 'add', path: '/constructor/prototype/polluted', value: MARK }]],
      ['copy into __proto__', [{ op: 'copy', from: '/data', path: '/__proto__/x' }]],
      ['move into __proto__', [{ op: 'move', from: '/data', path: '/__proto__' }]],
      ['remove the whole state', [{ op: 'remove', path: '' }]],
      ['replace the state with a string', [{ op: 'replace', path: '', value: MARK }]],
      ['move a parent into its child', [{ op: 'move', from: '/data', path: '/data/inner' }]],
      ['remove a path that is not there', [{ op: 'remove', path: `/data/${MARK}/deeper` }]],
      ['replace a path that is not there', [{ op: 'replace', path: '/nope/deeper', value: MARK }]],
      ['copy from a path that is not there', [{ op: 'copy', from: '/nowhere', path: '/data/x' }]],
      ['add an unknown state field', [{ op: 'add', path: '/tenantId', value: MARK }]],
      ['break the status', [{ op: 'replace', path: '/status', value: MARK }]],
      ['a negative step', [{ op: 'replace', path: '/step', value: -1 }]],
      ['an unknown op', [{ op: 'merge', path: '/data', value: MARK }]],
      ['an op with a stray member', [{ op: 'remove', path: '/data', value: MARK }]],
      ['add without a value', [{ op: 'add', path: '/data/x' }]],
      ['move without from', [{ op: 'move', path: '/data/x' }]],
      ['an op that is a string', [MARK]],
      ['patch not an array', { op: 'add', path: '/data/x', value: MARK }],
      ['an empty patch', []],
      ['a test that fails', [{ op: 'test', path: '/agentName', value: MARK }]],
    )
    .map(([why, patch]) => ({ why: why as string, intent: 'bad' as Intent, patch })),
  pointerish.map((path) => ({
    why: `path "${path}" is no JSON Pointer`,
    intent: 'bad' as Intent,
    patch: [{ op: 'add', path, value: MARK }],
  })),
  fc.integer({ min: 1001, max: 1500 }).map((n) => ({
    why: `${n} operations (over 1000)`,
    intent: 'bad' as Intent,
    patch: Array.from({ length: n }, (_, i) => ({
      op: 'add',
      path: `/data/k${i}`,
      value: i === 0 ? MARK : 1,
    })),
  })),
  fc.integer({ min: 20, max: 300 }).map((n) => ({
    why: `a value nested ${n} deep`,
    intent: 'bad' as Intent,
    patch: [
      { op: 'add', path: '/data/deep', value: JSON.parse(`${'['.repeat(n)}"${MARK}"${']'.repeat(n)}`) },
    ],
  })),
);
