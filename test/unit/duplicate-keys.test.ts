/** firstDuplicateKey against JSON built from random values, with and without a member written twice. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { firstDuplicateKey } from '../../lib/model/duplicate-keys.ts';

const json = fc.jsonValue({ maxDepth: 4 });

describe('firstDuplicateKey', () => {
  it('finds nothing in JSON.stringify output (which never repeats a member)', () => {
    fc.assert(
      fc.property(json, (value) => firstDuplicateKey(JSON.stringify(value)) === null),
      { seed: 20261201, numRuns: 500 },
    );
  });

  it('finds a member written twice at any depth, with escapes and whitespace, and only within one object', () => {
    fc.assert(
      fc.property(fc.string(), json, json, fc.jsonValue({ maxDepth: 2 }), (name, a, b, wrap) => {
        const object = `{ ${JSON.stringify(name)} : ${JSON.stringify(a)} ,\n${JSON.stringify(name)}:${JSON.stringify(b)}}`;
        const nested = `[${JSON.stringify(wrap)}, {"outer": ${object}}]`;
        return firstDuplicateKey(nested) === name;
      }),
      { seed: 20261201, numRuns: 500 },
    );
    expect(firstDuplicateKey('{"a":1,"b":{"a":2},"c":[{"a":3},{"a":4}]}')).toBeNull();
    expect(firstDuplicateKey('{"a\\u0041":1,"aA":2}')).toBe('aA');
    expect(firstDuplicateKey('{"k":"x\\\\","k":1}')).toBe('k');
    expect(firstDuplicateKey('{"k":"\\"k\\":","j":1}')).toBeNull();
  });
});
