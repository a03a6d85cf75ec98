/** Canonical JSON (RFC 8785) and the content hash every stored version carries. */
import { createHash } from 'node:crypto';
import canonicalizeModule from 'canonicalize';
import type { CanonicalText } from './shared-json.ts';
import { updateUtf8 } from './utf8-hash.ts';

// The package is CommonJS (`module.exports = fn`) but its typings declare an ES default export, which
// NodeNext resolution reads as `{ default }`. At run time the default import is the function itself.
const canonicalize = canonicalizeModule as unknown as (input: unknown) => string | undefined;

/** The one serialisation of a JSON value that every tier stores and every hash is taken over. */
export function canonicalJson(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new TypeError('value has no JSON representation');
  return text;
}

export function sha256Hex(text: string): string {
  return sha256Of(text, Buffer.byteLength(text, 'utf8'));
}

function sha256Of(text: string, utf8Bytes: number): string {
  const hash = createHash('sha256');
  updateUtf8(hash, text, utf8Bytes);
  return hash.digest('hex');
}

/** `canonicalJson` with its UTF-8 length and content hash (shared-json.ts `sharedCanonical` for patched states). */
export function canonicalText(value: unknown): CanonicalText {
  const text = canonicalJson(value);
  // Measured first: the hash needs the length to skip the UTF-8 encoder (utf8-hash.ts).
  const bytes = Buffer.byteLength(text, 'utf8');
  return { bytes, sha256: sha256Of(text, bytes), text: () => text };
}

/** The content hash of a state: sha256 of its canonical JSON. */
export function contentHash(value: unknown): string {
  return sha256Hex(canonicalJson(value));
}
