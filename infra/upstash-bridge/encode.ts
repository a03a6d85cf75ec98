/**
 * Upstash REST bridge · encode: turns a Redis reply into the JSON `result` that `@upstash/redis` expects.
 * With `Upstash-Encoding: base64` every string is base64 except the status reply "OK"; numbers, null and
 * nesting stay as they are. Hand-written because no maintained package reproduces this faithfully.
 */

export type JsonReply = null | number | string | JsonReply[];

/**
 * `value` is a RESP2 reply as node-redis decodes it with bulk strings mapped to Buffers: Buffer (bulk
 * string), string (status reply), number (integer), null, arrays of those, and Error for an error nested
 * in an array (EXEC, Lua tables).
 */
export function encodeReply(value: unknown, base64: boolean): JsonReply {
  if (value === null || value === undefined) return null;
  if (Buffer.isBuffer(value)) return value.toString(base64 ? 'base64' : 'utf8');
  if (typeof value === 'string') {
    // The client leaves the literal "OK" alone and base64-decodes every other string (PONG, QUEUED, …).
    return base64 && value !== 'OK' ? Buffer.from(value, 'utf8').toString('base64') : value;
  }
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') {
    return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  }
  if (Array.isArray(value)) return value.map((v) => encodeReply(v, base64));
  // Errors are never encoded, so the client can show them as they are.
  if (value instanceof Error) return value.message;
  throw new TypeError(`unexpected Redis reply of type ${Object.prototype.toString.call(value)}`);
}
