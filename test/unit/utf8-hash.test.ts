/**
 * The hash of a text is the sha256 of its UTF-8 bytes, whichever way updateUtf8 feeds it: an all-ASCII text as
 * latin1 (the same bytes), any other through the UTF-8 encoder. A text with one character past ASCII — in the
 * latin1 range, astral, a lone surrogate — must not take the latin1 path, where its bytes would differ.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../../lib/model/canonical.ts';
import { updateUtf8 } from '../../lib/model/utf8-hash.ts';

const utf8Sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
const viaUpdateUtf8 = (text: string) => {
  const hash = createHash('sha256');
  updateUtf8(hash, text, Buffer.byteLength(text, 'utf8'));
  return hash.digest('hex');
};

describe('updateUtf8', () => {
  it('hashes the UTF-8 bytes of ASCII, latin1-range, astral and lone-surrogate text alike', () => {
    for (const text of [
      '{"a":1}',
      'caf\u00e9',
      '\u00ff',
      'x\u{1F600}y',
      'lone \ud800 surrogate',
      '\u0000\u007f',
      '',
    ])
      expect(viaUpdateUtf8(text)).toBe(utf8Sha256(text));
  });

  it('agrees with the UTF-8 encoder on any text (property)', () => {
    const texts = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.string({ unit: 'grapheme-ascii', maxLength: 200 }),
      fc.string({
        unit: fc.integer({ min: 0, max: 0x2ff }).map((c) => String.fromCharCode(c)),
        maxLength: 50,
      }),
    );
    fc.assert(
      fc.property(texts, (text) => {
        expect(viaUpdateUtf8(text)).toBe(utf8Sha256(text));
        expect(sha256Hex(text)).toBe(utf8Sha256(text));
      }),
    );
  });
});
