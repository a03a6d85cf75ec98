/** JSON values a client should not send but may: wrong types, extreme numbers, odd strings, deep nesting. */
import fc from 'fast-check';
import { MARK } from './case.ts';

/** Any JSON value of the wrong type for a field (the generator of a field never picks its own type). */
export const notAString = fc.oneof(
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.constant([]),
  fc.constant({}),
  fc.constant([MARK]),
);
export const notANumber = fc.oneof(
  fc.string({ maxLength: 8 }).map((s) => `${s}${MARK}`),
  fc.constant('3'),
  fc.boolean(),
  fc.constant(null),
  fc.constant([1]),
  fc.constant({ n: 1 }),
);

/** Numbers no version, step or token count may be: negative, fractional, beyond 2^53. */
export const badCount = fc.oneof(
  fc.integer({ max: -1 }),
  fc.double({ min: 0.01, max: 1e6, noNaN: true }).filter((n) => !Number.isInteger(n)),
  fc.constantFrom(2 ** 53, 2 ** 53 + 2, 1e300, -1e300, Number.MAX_VALUE),
);

/** Odd strings: long ones, NUL, lone surrogates, other planes, control characters. */
export const oddString = fc.oneof(
  fc.constantFrom(
    '\u0000',
    'a\u0000b',
    '\ud800',
    '\udfff',
    'x\ud83d',
    '\u{1f600}',
    '\u202e',
    '\r\n',
    '\u0007',
  ),
  fc.string({ unit: 'grapheme', maxLength: 50 }),
  fc.integer({ min: 1000, max: 20_000 }).map((n) => 'x'.repeat(n)),
);

/** True if a JSON-bound string holds NUL or a lone surrogate (which Postgres jsonb, for one, cannot store). */
export function hasAwkwardCodeUnits(text: string): boolean {
  return (
    text.includes('\u0000') ||
    /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(text)
  );
}

/** `levels` nested objects or arrays around a marker. */
export function nested(levels: number, arrays: boolean): unknown {
  let value: unknown = MARK;
  for (let i = 0; i < levels; i++) value = arrays ? [value] : { d: value };
  return value;
}

/** Plain JSON data an agent might keep (no odd code units), with the marker in it. */
export const plainData = fc
  .dictionary(
    fc.string({ unit: fc.constantFrom('a', 'b', 'k', '_', '1'), minLength: 1, maxLength: 6 }),
    fc.oneof(fc.integer(), fc.boolean(), fc.string({ maxLength: 20 }), fc.constant(null)),
    { maxKeys: 5 },
  )
  .map((entries) => ({ ...entries, note: MARK }));
