/** Seeded text for the workload: prose-like content (a small vocabulary, so it compresses like real chat). */
import type { Rng } from '../../test/support/chaos/rng.ts';

export interface TextSource {
  /** Words joined by spaces, about `bytes` long (ASCII, so characters are bytes). */
  prose(bytes: number): string;
  /** `length` lowercase hex digits: ids, hashes — the incompressible part of agent state. */
  hex(length: number): string;
}

export function createTextSource(rng: Rng): TextSource {
  // A few hundred words picked with a skew, as in natural text: common words repeat, rare ones do not.
  const vocabulary = Array.from({ length: 400 }, () => rng.word(rng.int(2, 9)));
  const word = () => vocabulary[Math.floor(rng.next() ** 2 * vocabulary.length)]!;
  return {
    prose(bytes) {
      const parts: string[] = [];
      let length = 0;
      while (length < bytes) {
        const next = word();
        parts.push(next);
        length += next.length + 1;
      }
      return parts.join(' ').slice(0, bytes);
    },
    hex(length) {
      let out = '';
      while (out.length < length)
        out += Math.floor(rng.next() * 2 ** 32)
          .toString(16)
          .padStart(8, '0');
      return out.slice(0, length);
    },
  };
}
