/**
 * JSON documents that share their unchanged subtrees with the version before them, so a step costs what changed.
 *
 * A run's next version is its last one plus a small patch (an appended message, a few changed keys). Parsing,
 * cloning and canonicalising the whole state at every step made a step cost in proportion to the run. Here:
 * - `CopyOnWrite` prepares a document for one RFC 6902 operation by shallow-copying only the containers on the
 *   operation's paths; every other subtree stays the very object of the version before;
 * - `sharedCanonicalJson` is RFC 8785 canonical JSON (byte for byte what the `canonicalize` package writes, which
 *   test/unit/shared-json.test.ts checks by property) that remembers the text of each subtree it serialised, so
 *   a subtree shared with an earlier version is not serialised again.
 *
 * The memo is keyed by object identity, so a remembered subtree must never change: it is frozen when remembered
 * (a write to it then throws in strict code), and CopyOnWrite never writes to an object it did not copy itself.
 */

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

/**
 * Canonical JSON (RFC 8785) of `value`, serialising only subtrees not serialised before. The arrays and objects
 * it remembers are frozen. Recursive: check the depth first (limits.ts nestingDepth), as for any JSON walk.
 */
export function sharedCanonicalJson(value: unknown): string {
  return serialise(value, { depth: 0 });
}

/** Writes `value`; leaves its depth in `out.depth`. */
function serialise(value: unknown, out: { depth: number }): string {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      out.depth = 0;
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value))
        throw new Error(Number.isNaN(value) ? 'NaN is not allowed' : 'Infinity is not allowed');
      out.depth = 0;
      return JSON.stringify(value);
    case 'object':
      if (value === null) break;
      return serialiseContainer(value, out);
  }
  out.depth = 0;
  return JSON.stringify(value);
}

function serialiseContainer(value: object, out: { depth: number }): string {
  const known = remembered.get(value);
  if (known) {
    out.depth = known.depth;
    return known.json;
  }
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return serialise(toJSON.call(value), out);
  let depth = 0;
  let json: string;
  if (Array.isArray(value)) {
    json = '[';
    for (let i = 0; i < value.length; i++) {
      const item = value[i] as unknown;
      if (i > 0) json += ',';
      json += serialise(item === undefined || typeof item === 'symbol' ? null : item, out);
      if (out.depth > depth) depth = out.depth;
    }
    json += ']';
  } else {
    const record = value as Record<string, unknown>;
    json = '{';
    for (const key of Object.keys(record).sort()) {
      const item = record[key];
      if (item === undefined || typeof item === 'symbol') continue;
      if (json.length > 1) json += ',';
      json += `${JSON.stringify(key)}:${serialise(item, out)}`;
      if (out.depth > depth) depth = out.depth;
    }
    json += '}';
  }
  out.depth = depth + 1;
  if (json.length >= REMEMBER_AT_LEAST && json.length <= REMEMBER_AT_MOST) {
    Object.freeze(value);
    remembered.set(value, { json, depth: out.depth });
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
