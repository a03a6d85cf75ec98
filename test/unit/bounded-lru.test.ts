/** lib/cache/bounded-lru.ts: the bound every instance cache keeps, by entries and by size. */
import { describe, expect, it } from 'vitest';
import { createBoundedLru } from '../../lib/cache/bounded-lru.ts';

describe('createBoundedLru', () => {
  it('evicts the least recently used past maxEntries; get refreshes, peek does not', () => {
    const lru = createBoundedLru<number>({ maxEntries: 2 });
    lru.set('a', 1);
    lru.set('b', 2);
    expect(lru.peek('a')).toBe(1); // not a use: 'a' stays the oldest
    lru.set('c', 3);
    expect(lru.peek('a')).toBeUndefined();
    expect(lru.get('b')).toBe(2); // a use: 'c' is now the oldest
    lru.set('d', 4);
    expect([lru.peek('b'), lru.peek('c'), lru.peek('d')]).toEqual([2, undefined, 4]);
  });

  it('evicts past maxSize, counts a replaced value once, and keeps no value over maxValueSize', () => {
    const lru = createBoundedLru<string>({
      maxEntries: 10,
      maxSize: 10,
      sizeOf: (value) => value.length,
      maxValueSize: 6,
    });
    lru.set('a', 'xxxx');
    lru.set('a', 'xxxx'); // replaced: still 4, not 8
    lru.set('b', 'yyyy');
    expect([lru.peek('a'), lru.peek('b')]).toEqual(['xxxx', 'yyyy']);
    lru.set('c', 'zzzz'); // 12 > 10: the oldest goes
    expect([lru.peek('a'), lru.peek('b'), lru.peek('c')]).toEqual([undefined, 'yyyy', 'zzzz']);
    lru.set('b', 'too large'); // over maxValueSize: not kept, and the old 'b' is gone too
    expect([lru.peek('b'), lru.peek('c')]).toEqual([undefined, 'zzzz']);
    lru.delete('c');
    lru.set('e', 'eeeeee');
    lru.set('f', 'ffff'); // 10: both fit once 'c' and 'b' are gone
    expect([lru.peek('e'), lru.peek('f')]).toEqual(['eeeeee', 'ffff']);
  });

  it('keeps nothing with maxEntries 0', () => {
    const lru = createBoundedLru<number>({ maxEntries: 0 });
    lru.set('a', 1);
    expect(lru.get('a')).toBeUndefined();
  });
});
