/** Limits on what a request may carry, checked before anything is stored. */
import { InvalidRequest, TooLarge } from '../errors.ts';

/** Parse a JSON body within a byte limit, with errors a caller can act on. */
export function parseJsonBody(raw: Uint8Array | string | undefined, maxBytes: number): unknown {
  if (raw === undefined || raw.length === 0) throw new InvalidRequest('the request needs a JSON body');
  const bytes = typeof raw === 'string' ? Buffer.byteLength(raw) : raw.byteLength;
  if (bytes > maxBytes) throw new TooLarge(`the body is ${bytes} bytes; the limit is ${maxBytes}`, maxBytes);
  const text =
    typeof raw === 'string' ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('utf8');
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InvalidRequest(`the body is not valid JSON: ${(error as Error).message}`);
  }
}

/** Depth of nested arrays and objects; iterative so a hostile document cannot overflow the stack. */
export function nestingDepth(value: unknown): number {
  let deepest = 0;
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
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
