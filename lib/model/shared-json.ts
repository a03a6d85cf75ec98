/**
 * JSON documents that share their unchanged subtrees with the version before them, so a step costs what changed.
 *
 * A run's next version is its last one plus a small patch (an appended message, a few changed keys). Parsing,
 * cloning and canonicalising the whole state at every step made a step cost in proportion to the run. Here:
 * - `CopyOnWrite` prepares a document for one RFC 6902 operation by shallow-copying only the containers on the
 *   operation's paths; every other subtree stays the very object of the version before;
 * - `sharedCanonical` is RFC 8785 canonical JSON (byte for byte what the `canonicalize` package writes, which
 *   test/unit/shared-json.test.ts checks by property) that remembers the text of each subtree it serialised, so
 *   a subtree shared with an earlier version is not serialised again.
 *
 * The memo is keyed by object identity, so a remembered subtree must never change: it is frozen when remembered
 * (a write to it then throws in strict code), and CopyOnWrite never writes to an object it did not copy itself.
 */

import { createHash } from 'node:crypto';
import { updateUtf8 } from './utf8-hash.ts';

/**
 * Subtrees whose canonical JSON is at least this long (in UTF-16 units) and at most REMEMBER_AT_MOST are
 * remembered: smaller ones cost less to write again than to remember, larger ones are rebuilt from their parts.
 */
const REMEMBER_AT_LEAST = 96;
const REMEMBER_AT_MOST = 64 * 1024;

interface Remembered {
  readonly json: string;
  /** Levels of arrays and objects, this one included. */
  readonly depth: number;
  /** Whether `json` was flattened (see serialiseContainer). */
  flat: boolean;
}

/**
 * A cache keyed by object identity: an entry lives as long as its (frozen) object, like a hidden property of it,
 * and is the same in every instance of the service, so it is shared process-wide on purpose.
 */
const remembered = new WeakMap<object, Remembered>();

/** The nesting depth of `node` when its canonical JSON is remembered (limits.ts counts it without descending). */
export function rememberedDepth(node: object): number | undefined {
  return remembered.get(node)?.depth;
}

/** A document's canonical JSON, measured and hashed without being joined into one string. */
export interface CanonicalText {
  /** Its length in UTF-8 bytes. */
  readonly bytes: number;
  /** sha256 of its UTF-8 bytes, hex: the content hash (canonical.ts `sha256Hex` of `text()`). */
  readonly sha256: string;
  /** The text itself, joined on first call (a snapshot or a spool needs it; a patch stored does not). */
  text(): string;
}

/**
 * Canonical JSON (RFC 8785) of `value`, serialising only subtrees not serialised before, with its length and hash.
 * The arrays and objects it remembers are frozen. Recursive: check the depth first (limits.ts nestingDepth), as
 * for any JSON walk. A container too long to remember (the state's root, a long message list) is kept as the
 * pieces it is made of, mostly remembered texts of its children, and measured and hashed piece by piece: joining
 * a 300 KB state into one string, only to measure and hash it, cost more than both (a fresh large string for V8
 * to allocate, copy into and collect at every step).
 */
export function sharedCanonical(value: unknown): CanonicalText {
  const serialised = serialise(value, { depth: 0 });
  const pieces = typeof serialised === 'string' ? [serialised] : serialised.pieces;
  const hash = createHash('sha256');
  let bytes = 0;
  for (const piece of pieces) {
    // Measured as it is hashed: the length lets the hash skip the UTF-8 encoder (utf8-hash.ts).
    const pieceBytes = Buffer.byteLength(piece, 'utf8');
    updateUtf8(hash, piece, pieceBytes);
    bytes += pieceBytes;
  }
  const sha256 = hash.digest('hex');
  let joined: string | undefined;
  return { bytes, sha256, text: () => (joined ??= pieces.join('')) };
}

/** The text of a container longer than REMEMBER_AT_MOST: pieces to be read in order. */
interface Pieces {
  readonly pieces: string[];
}

/** Writes `value`; leaves its depth in `out.depth`. */
function serialise(value: unknown, out: { depth: number }): string | Pieces {
  if (typeof value === 'object' && value !== null) return serialiseContainer(value, out);
  if (typeof value === 'number' && !Number.isFinite(value))
    throw new Error(Number.isNaN(value) ? 'NaN is not allowed' : 'Infinity is not allowed');
  out.depth = 0;
  return JSON.stringify(value);
}

function serialiseContainer(value: object, out: { depth: number }): string | Pieces {
  const known = remembered.get(value);
  if (known) {
    out.depth = known.depth;
    if (!known.flat) {
      // V8 keeps a string built by += as a tree of its pieces until it is read whole, and reading a document
      // whole flattens only that document's own string, not the trees it shares with others. Measuring the
      // text flattens it in place, once, when it is first shared: from then on every document holding it reads
      // one flat piece instead of walking its pieces again. A text never shared (a container the next patch
      // changes again) is never flattened on its own.
      Buffer.byteLength(known.json, 'utf8');
      known.flat = true;
    }
    return known.json;
  }
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return serialise(toJSON.call(value), out);
  // Built by += (which links strings rather than copying them) until it is too long to remember; pieces after.
  let json = '';
  let long: Pieces | undefined;
  const add = (text: string | Pieces) => {
    if (long === undefined && typeof text === 'string') {
      json += text;
      if (json.length > REMEMBER_AT_MOST) long = { pieces: [json] };
    } else {
      long ??= { pieces: [json] };
      if (typeof text === 'string') long.pieces.push(text);
      else for (const piece of text.pieces) long.pieces.push(piece);
    }
  };
  let depth = 0;
  if (Array.isArray(value)) {
    add('[');
    for (let i = 0; i < value.length; i++) {
      const item = value[i] as unknown;
      if (i > 0) add(',');
      add(serialise(item === undefined || typeof item === 'symbol' ? null : item, out));
      if (out.depth > depth) depth = out.depth;
    }
    add(']');
  } else {
    const record = value as Record<string, unknown>;
    add('{');
    let first = true;
    for (const key of Object.keys(record).sort()) {
      const item = record[key];
      if (item === undefined || typeof item === 'symbol') continue;
      add(first ? `${JSON.stringify(key)}:` : `,${JSON.stringify(key)}:`);
      first = false;
      add(serialise(item, out));
      if (out.depth > depth) depth = out.depth;
    }
    add('}');
  }
  out.depth = depth + 1;
  if (long) return long;
  if (json.length >= REMEMBER_AT_LEAST) {
    Object.freeze(value);
    remembered.set(value, { json, depth: out.depth, flat: false });
  }
  return json;
}

/** The parts of an RFC 6902 operation that say where it writes. */
export interface OperationTarget {
  readonly op: string;
  readonly path: string;
  readonly from?: string;
}

/**
 * Copy-on-write for a sequence of patch operations on one document: before each operation, `prepare` makes the
 * containers it writes to (the parents of `path`, and of `from` for a move) objects of this sequence's own,
 * copying shared ones shallowly, and answers the document's new root. The operation may then be applied in place
 * (fast-json-patch `applyOperation` with `mutateDocument`), and the document the sequence started from — and
 * every version sharing its subtrees — stays as it was.
 */
export class CopyOnWrite {
  readonly #owned = new WeakSet<object>();

  prepare(root: unknown, operation: OperationTarget): unknown {
    if (operation.op === 'test') return root;
    let next = this.#ownParents(root, operation.path);
    if (operation.op === 'move' && operation.from !== undefined)
      next = this.#ownParents(next, operation.from);
    return next;
  }

  #own(node: object): object {
    if (this.#owned.has(node)) return node;
    const copy = Array.isArray(node) ? node.slice() : { ...node };
    this.#owned.add(copy);
    return copy;
  }

  /** `root` with every container from it to the parent of `pointer` owned. An unresolvable step stops the walk: the operation itself then refuses the path. */
  #ownParents(root: unknown, pointer: string): unknown {
    if (root === null || typeof root !== 'object' || pointer === '') return root;
    const ownedRoot = this.#own(root);
    const tokens = pointer.split('/').slice(1, -1);
    let node = ownedRoot as Record<string, unknown>;
    for (const raw of tokens) {
      const token = raw.replace(/~1/g, '/').replace(/~0/g, '~');
      // Own properties only: `__proto__` and friends are the operation's to refuse, never walked into here.
      if (!Object.hasOwn(node, token)) break;
      const child = node[token];
      if (child === null || typeof child !== 'object') break;
      const ownedChild = this.#own(child);
      if (ownedChild !== child)
        Object.defineProperty(node, token, {
          value: ownedChild,
          writable: true,
          enumerable: true,
          configurable: true,
        });
      node = ownedChild as Record<string, unknown>;
    }
    return ownedRoot;
  }
}
