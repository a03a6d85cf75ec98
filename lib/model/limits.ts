/** Limits on what a request may carry, checked before anything is stored. */
import { InvalidRequest, TooLarge } from '../errors.ts';
import { firstDuplicateKey } from './duplicate-keys.ts';
import { rememberedDepth } from './shared-json.ts';

/** Parse a JSON body within a byte limit, with errors a caller can act on. */
export function parseJsonBody(raw: Uint8Array | string | undefined, maxBytes: number): unknown {
  if (raw === undefined || raw.length === 0) throw new InvalidRequest('the request needs a JSON body');
  const bytes = typeof raw === 'string' ? Buffer.byteLength(raw) : raw.byteLength;
  if (bytes > maxBytes) throw new TooLarge(`the body is ${bytes} bytes; the limit is ${maxBytes}`, maxBytes);
  const text =
    typeof raw === 'string' ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not the parser's message: it quotes the body.
    throw new InvalidRequest('the body is not valid JSON');
  }
  const duplicate = firstDuplicateKey(text);
  if (duplicate !== null)
    throw new InvalidRequest(`the body names the member ${JSON.stringify(duplicate)} twice in one object`);
  return parsed;
}

/**
 * Depth of nested arrays and objects; iterative so a hostile document cannot overflow the stack. A subtree whose
 * canonical JSON is remembered (shared-json.ts: shared with an earlier version) counts at its remembered depth.
 */
export function nestingDepth(value: unknown): number {
  let deepest = 0;
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    const known = rememberedDepth(node);
    if (known !== undefined) {
      if (depth + known > deepest) deepest = depth + known;
      continue;
    }
    const here = depth + 1;
    if (here > deepest) deepest = here;
    for (const child of Array.isArray(node) ? node : Object.values(node)) stack.push([child, here]);
  }
  return deepest;
}

export function assertDepth(value: unknown, maxDepth: number, what: string): void {
  const depth = nestingDepth(value);
  if (depth > maxDepth) {
    throw new InvalidRequest(`${what} is nested ${depth} levels deep; the limit is ${maxDepth}`);
  }
}

export function assertStateSize(canonicalBytes: number, maxBytes: number): void {
  if (canonicalBytes > maxBytes) {
    throw new TooLarge(`the state is ${canonicalBytes} bytes; the limit is ${maxBytes}`, maxBytes);
  }
}

/**
 * About how many bytes `value` takes as JSON text (string lengths in UTF-16 units, numbers as written), counted
 * only up to `limit`: past it the walk stops and answers `limit + 1`, so measuring a hostile value costs no
 * more than the budget it is measured against. Iterative, like nestingDepth.
 */
export function jsonSizeWithin(value: unknown, limit: number): number {
  let size = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const node = stack.pop();
    if (typeof node === 'string') size += node.length + 2;
    else if (typeof node === 'number' || typeof node === 'boolean') size += String(node).length;
    else if (node === null || node === undefined) size += 4;
    else if (Array.isArray(node)) {
      size += 2 + node.length;
      for (const child of node) stack.push(child);
    } else if (typeof node === 'object') {
      const entries = Object.entries(node);
      size += 2 + entries.length;
      for (const [key, child] of entries) {
        size += key.length + 3;
        stack.push(child);
      }
    }
    if (size > limit) return limit + 1;
  }
  return size;
}
