/**
 * The versions a save names — `expectedVersion`, `baseVersion`, `If-Match` — in every combination, with the rule
 * that decides whether the combination may succeed: exactly one precondition that matches the head.
 */
import fc from 'fast-check';
import type { Intent } from './case.ts';
import { badCount, notANumber } from './hostile-values.ts';

/** `$HEAD` and `$NEXT` are filled in at send time (the run's head and head + 1). */
type Version = '$HEAD' | '$NEXT' | { readonly bad: unknown };

export interface Preconditions {
  readonly expectedVersion?: Version;
  readonly baseVersion?: Version;
  readonly ifMatch?: '$HEAD' | '$NEXT' | { readonly bad: string };
}

const version: fc.Arbitrary<Version> = fc.oneof(
  { weight: 4, arbitrary: fc.constant<Version>('$HEAD') },
  { weight: 1, arbitrary: fc.constant<Version>('$NEXT') },
  { weight: 1, arbitrary: fc.oneof(badCount, notANumber).map((bad) => ({ bad })) },
);
const ifMatch: fc.Arbitrary<NonNullable<Preconditions['ifMatch']>> = fc.oneof(
  { weight: 4, arbitrary: fc.constant('$HEAD' as const) },
  { weight: 1, arbitrary: fc.constant('$NEXT' as const) },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom('*', 'W/"$HEAD"', '"-1"', 'abc', '"$HEAD", "$NEXT"', '""', '"1.5"', '9'.repeat(16))
      .map((bad) => ({ bad })),
  },
);

export const preconditions: fc.Arbitrary<Preconditions> = fc
  .record({ expectedVersion: version, baseVersion: version, ifMatch }, { requiredKeys: [] })
  .map((p) => p as Preconditions);

/** Body fields of the preconditions (the If-Match header is the caller's to add). */
export function bodyFields(p: Preconditions): Record<string, unknown> {
  const value = (v: Version) => (typeof v === 'string' ? v : v.bad);
  return {
    ...(p.expectedVersion !== undefined && { expectedVersion: value(p.expectedVersion) }),
    ...(p.baseVersion !== undefined && { baseVersion: value(p.baseVersion) }),
  };
}

export function ifMatchHeader(p: Preconditions): string | undefined {
  if (p.ifMatch === undefined) return undefined;
  return typeof p.ifMatch === 'string' ? `"${p.ifMatch}"` : p.ifMatch.bad;
}

/**
 * May a save with these preconditions succeed? `kind` is what the body carries. Any malformed or stale version
 * is bad; so is naming none, naming two that disagree, and a whole state with a `baseVersion` (it applies to
 * nothing). A patch names its base: `expectedVersion` next to it is refused (two answers to one question).
 */
export function preconditionIntent(
  p: Preconditions,
  kind: 'state' | 'patch',
): { intent: Intent; why: string } {
  const named = [p.expectedVersion, p.baseVersion, p.ifMatch].filter((v) => v !== undefined);
  if (named.some((v) => typeof v !== 'string')) return { intent: 'bad', why: 'a malformed version' };
  if (named.includes('$NEXT')) return { intent: 'bad', why: 'a version that is not the head' };
  if (kind === 'patch') {
    if (p.baseVersion === undefined) return { intent: 'bad', why: 'a patch without baseVersion' };
    if (p.expectedVersion !== undefined)
      return { intent: 'bad', why: 'expectedVersion and baseVersion both' };
    return { intent: p.ifMatch === undefined ? 'valid' : 'either', why: 'a patch on the head' };
  }
  if (p.baseVersion !== undefined) return { intent: 'bad', why: 'a whole state with a baseVersion' };
  if (named.length === 0) return { intent: 'bad', why: 'no precondition' };
  return { intent: named.length === 1 ? 'valid' : 'either', why: 'the head, named once or twice' };
}
