/**
 * A string-keyed map bounded by its number of entries and by the summed size of its values, least recently used
 * out first. The instance's caches (the service's head cache, the hot adapter's rebuilt heads, the runs whose hot
 * copy is behind) are each one of these: a bound on what one instance holds, never the truth.
 */
export interface BoundedLruLimits<V> {
  /** Most entries kept (0 keeps none). */
  readonly maxEntries: number;
  /** Most summed `sizeOf` kept. @default Infinity */
  readonly maxSize?: number;
  /** The size of a value (e.g. its bytes). @default 1 for every value */
  readonly sizeOf?: (value: V) => number;
  /** A value larger than this is not kept, so one huge value cannot flush the rest. @default maxSize */
  readonly maxValueSize?: number;
}

export interface BoundedLru<V> {
  /** The value, now the most recently used. */
  get(key: string): V | undefined;
  /** The value, its recency unchanged. */
  peek(key: string): V | undefined;
  /** Keeps `value` as the most recently used (unless it is too large), evicting the least recently used past the bounds. */
  set(key: string, value: V): void;
  delete(key: string): void;
}

export function createBoundedLru<V>(limits: BoundedLruLimits<V>): BoundedLru<V> {
  const { maxEntries, maxSize = Number.POSITIVE_INFINITY, sizeOf = () => 1 } = limits;
  const maxValueSize = limits.maxValueSize ?? maxSize;
  // A Map iterates in insertion order: re-inserting on use keeps the least recently used first.
  const entries = new Map<string, V>();
  let size = 0;
  const remove = (key: string) => {
    if (!entries.has(key)) return;
    size -= sizeOf(entries.get(key) as V);
    entries.delete(key);
  };
  return {
    get(key) {
      if (!entries.has(key)) return undefined;
      const value = entries.get(key) as V;
      entries.delete(key);
      entries.set(key, value);
      return value;
    },
    peek: (key) => entries.get(key),
    set(key, value) {
      remove(key);
      const valueSize = sizeOf(value);
      if (maxEntries < 1 || valueSize > maxValueSize) return;
      entries.set(key, value);
      size += valueSize;
      for (const oldest of entries.keys()) {
        if (entries.size <= maxEntries && size <= maxSize) break;
        remove(oldest);
      }
    },
    delete: remove,
  };
}
