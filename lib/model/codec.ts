/** How a state's canonical JSON is kept at rest: as is, or gzip+base64 above a size threshold when that is smaller. */
import { gunzipSync, gzipSync } from 'node:zlib';
import type { PayloadEncoding } from '../tiers/types.ts';

export interface EncodedPayload {
  readonly encoding: PayloadEncoding;
  readonly payload: string;
}

export function encodePayload(
  canonical: string,
  sizeBytes: number,
  compressAboveBytes: number,
): EncodedPayload {
  if (sizeBytes <= compressAboveBytes) return { encoding: 'json', payload: canonical };
  // Level 1: this runs on every save (the hot path). On agent state (JSON text, repeated keys) it already
  // shrinks 10-20x, in about a third of level 6's time; the archive recompresses with ZSTD anyway.
  const compressed = gzipSync(canonical, { level: 1 }).toString('base64');
  return compressed.length < sizeBytes
    ? { encoding: 'gzip-base64', payload: compressed }
    : { encoding: 'json', payload: canonical };
}

export function decodePayload(encoded: EncodedPayload): string {
  switch (encoded.encoding) {
    case 'json':
      return encoded.payload;
    case 'gzip-base64':
      return gunzipSync(Buffer.from(encoded.payload, 'base64')).toString('utf8');
  }
}
