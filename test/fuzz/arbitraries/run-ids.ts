/** Run ids in the path: the good targets and every kind of bad segment (escapes, slashes, unicode, 129 chars). */
import fc from 'fast-check';
import type { RunTarget } from './case.ts';

/** Segments no run id may be: each is sent raw in the path, and each must be refused. */
export const badRunSegment: fc.Arbitrary<{ readonly raw: string }> = fc
  .oneof(
    fc.constantFrom(
      'a%zz',
      '%',
      '%E0%A4%A',
      '%C0%AF',
      '%FF',
      '%00',
      'a%2Fb',
      '%2e%2e',
      '..',
      '.hidden',
      '-dash',
      'a%20b',
      'a+b',
      'run%3Fx',
      '%F0%9F%98%80',
      'caf%C3%A9',
      'r\u00e9',
      '__proto__%5B%5D',
    ),
    fc.constant('r'.repeat(129)),
    fc.integer({ min: 129, max: 2000 }).map((n) => 'a'.repeat(n)),
    fc
      .string({ unit: 'grapheme', minLength: 1, maxLength: 8 })
      .filter((s) => /[^A-Za-z0-9._:-]/.test(s))
      .map((s) => `u${encodeURIComponent(s)}`),
  )
  .map((raw) => ({ raw }));

/** A run a well-formed request may address. */
export const goodRun: fc.Arbitrary<RunTarget> = fc.constantFrom<RunTarget>('seed0', 'seed1', 'done', 'fresh');
