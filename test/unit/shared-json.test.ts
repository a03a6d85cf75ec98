/**
 * lib/model/shared-json.ts: canonical JSON remembered per subtree is byte for byte what the `canonicalize`
 * package (RFC 8785) writes, also for versions that share subtrees with earlier ones; copy-on-write patching
 * gives what fast-json-patch gives on a copy, and never changes the version it started from.
 */
import canonicalizeModule from 'canonicalize';
import fc from 'fast-check';
import fastJsonPatch from 'fast-json-patch';
import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../../lib/model/canonical.ts';
import { nestingDepth } from '../../lib/model/limits.ts';
import { CopyOnWrite, sharedCanonical } from '../../lib/model/shared-json.ts';

const canonicalize = canonicalizeModule as unknown as (input: unknown) => string;
const sharedCanonicalJson = (value: unknown) => sharedCanonical(value).text();
const { applyOperation, compare } = fastJsonPatch;

/** `operations` applied copy-on-write, the way applyStatePatch and the chain rebuild do. */
function patched(base: unknown, operations: readonly fastJsonPatch.Operation[]): unknown {
  const copies = new CopyOnWrite();
  let document = base;
  operations.forEach((operation, index) => {
    document = copies.prepare(document, operation);
    document = applyOperation(document, operation, true, true, true, index).newDocument;
  });
  return document;
}

const json = fc.jsonValue({ maxDepth: 5 });
/** Values with long strings, so subtrees pass the length from which they are remembered. */
const { rich } = fc.letrec((tie) => ({
  rich: fc.oneof(
    { depthSize: 'small' },
    fc.string({ minLength: 30, maxLength: 60 }),
    fc.integer(),
    fc.array(tie('rich'), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 4 }), tie('rich'), { maxKeys: 4 }),
  ),
}));
const documents = fc.dictionary(fc.string({ maxLength: 6 }), fc.oneof(json, rich), { maxKeys: 6 });

describe('sharedCanonical', () => {
  it('writes what canonicalize writes, for any JSON value', () => {
    fc.assert(
      fc.property(fc.oneof(json, rich), (value) => {
        expect(sharedCanonicalJson(structuredClone(value))).toBe(canonicalize(value));
      }),
      { numRuns: 300 },
    );
  });

  it('measures and hashes documents past the longest remembered text piece by piece, as their whole text', () => {
    // Long lists of remembered items (a chat's messages) with text in several scripts: the list, and the
    // document around it, pass 64 K characters and are measured and hashed as pieces, never joined.
    const message = fc.record({
      role: fc.constantFrom('user', 'assistant', 'tool'),
      text: fc.string({ unit: 'binary', minLength: 400, maxLength: 900 }),
      n: fc.integer(),
    });
    const large = fc.record({
      messages: fc.array(message, { minLength: 200, maxLength: 260 }),
      scratch: fc.dictionary(fc.string({ maxLength: 5 }), json, { maxKeys: 4 }),
    });
    fc.assert(
      fc.property(large, fc.array(message, { minLength: 1, maxLength: 3 }), (value, appended) => {
        const first = structuredClone(value);
        const next = { ...first, messages: [...first.messages, ...appended] };
        for (const document of [first, next]) {
          const expected = canonicalize(document);
          const measured = sharedCanonical(document);
          expect(measured.bytes).toBe(Buffer.byteLength(expected, 'utf8'));
          expect(measured.sha256).toBe(sha256Hex(expected));
          expect(measured.text()).toBe(expected);
        }
        expect(canonicalize(next).length).toBeGreaterThan(64 * 1024);
      }),
      // A failure is reported as found: shrinking documents this large takes minutes.
      { numRuns: 25, endOnFailure: true },
    );
  });

  it('leaves out undefined members and writes undefined array items as null, like canonicalize', () => {
    const value = { b: undefined, a: [1, undefined, 'x'], c: { d: undefined } };
    expect(sharedCanonicalJson({ ...value, a: [...value.a], c: { ...value.c } })).toBe(canonicalize(value));
    expect(() => sharedCanonicalJson({ n: Number.NaN })).toThrow(/NaN/);
  });

  it('freezes what it remembers and answers the same text again', () => {
    // Subtrees of fewer than 96 characters are written again rather than remembered: this one is longer.
    const state = { messages: [{ role: 'user', text: 'hi '.repeat(40) }], step: 1 };
    const first = sharedCanonicalJson(state);
    expect(Object.isFrozen(state.messages[0])).toBe(true);
    expect(() => {
      (state.messages[0] as { text: string }).text = 'changed';
    }).toThrow(TypeError);
    expect(sharedCanonicalJson(state)).toBe(first);
  });

  it('counts the depth of remembered subtrees without descending into them', () => {
    const long = 'x'.repeat(100);
    const deep = { a: { b: { c: [long, [long, [long]]] } } };
    const expected = nestingDepth(structuredClone(deep));
    sharedCanonicalJson(deep);
    expect(nestingDepth({ wrapper: deep })).toBe(expected + 1);
  });
});

const throughJson = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

describe('CopyOnWrite', () => {
  it('patches a version into the next as a copy would, leaving the version and every earlier one as they were', () => {
    fc.assert(
      // Versions as JSON text carries them: -0 is 0 there, and fast-json-patch's `compare` (which makes the
      // operations here) clones values through JSON, so a -0 in a target would come out 0 (seed 298039325).
      fc.property(fc.array(documents.map(throughJson), { minLength: 2, maxLength: 6 }), (versions) => {
        let current: unknown = structuredClone(versions[0]);
        sharedCanonicalJson(current); // remembered and frozen, as a saved head is
        const history: Array<{ value: unknown; text: string }> = [];
        for (const target of versions.slice(1)) {
          const operations = compare(current as object, target as object);
          const next = patched(current, operations);
          expect(next).toEqual(target);
          const text = sharedCanonicalJson(next);
          expect(text).toBe(canonicalize(target));
          history.push({ value: current, text: canonicalize(current) });
          current = next;
        }
        for (const { value, text } of history) expect(canonicalize(value)).toBe(text);
      }),
      { numRuns: 200 },
    );
  });

  it('copies the containers of move, copy and remove, never the shared subtrees beside them', () => {
    const base = {
      messages: [{ id: 1 }, { id: 2 }],
      scratch: { a: 1, b: { deep: true } },
      archive: [] as unknown[],
    };
    sharedCanonicalJson(base);
    const before = canonicalize(base);
    const next = patched(base, [
      { op: 'move', from: '/scratch/b', path: '/archive/0' },
      { op: 'copy', from: '/messages/0', path: '/messages/-' },
      { op: 'remove', path: '/scratch/a' },
      { op: 'test', path: '/messages/2/id', value: 1 },
    ]) as typeof base;
    expect(canonicalize(base)).toBe(before);
    expect(next).toEqual({
      messages: [{ id: 1 }, { id: 2 }, { id: 1 }],
      scratch: {},
      archive: [{ deep: true }],
    });
    expect(next.messages[1]).toBe(base.messages[1]); // untouched: shared
    expect(next.archive[0]).toBe(base.scratch.b); // moved, not copied
    expect(next.messages).not.toBe(base.messages);
    expect(sharedCanonicalJson(next)).toBe(canonicalize(structuredClone(next)));
  });

  it('refuses __proto__ paths (the operation does) without walking into the prototype', () => {
    const base = { a: {} };
    sharedCanonicalJson(base);
    expect(() => patched(base, [{ op: 'add', path: '/__proto__/polluted', value: 1 }])).toThrow();
    expect(({} as { polluted?: number }).polluted).toBeUndefined();
  });
});
