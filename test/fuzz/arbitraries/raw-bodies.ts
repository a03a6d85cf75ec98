/** Body texts that are not one clean JSON document: syntax errors, NaN, duplicated keys, stray bytes, size. */
import fc from 'fast-check';
import { type Intent, MARK } from './case.ts';

export interface RawBody {
  readonly why: string;
  readonly intent: Intent;
  readonly text: string;
}

const save = (inner: string) =>
  `{"expectedVersion":"$HEAD","state":{"agentName":"planner","status":"running","step":1,"data":${inner}}}`;

/** The marker sits right next to each syntax error, where a parser's message would quote it. */
const broken: ReadonlyArray<readonly [string, string]> = [
  ['a bare word', `{"a":"${MARK}"x}`],
  ['NaN as a number', save(`{"n":NaN,"m":"${MARK}"}`)],
  ['Infinity as a number', `{"expectedVersion":Infinity,"m":"${MARK}"}`],
  ['a trailing comma', `{"m":"${MARK}",}`],
  ['single quotes', `{'m':'${MARK}'}`],
  ['a comment', `{"m":"${MARK}"/* c */}`],
  ['unterminated string', `{"m":"${MARK}`],
  ['two documents', `{"m":"${MARK}"}{"m":1}`],
  ['a raw NUL byte', `{"m":"${MARK}"\u0000}`],
  ['a raw NUL inside a string', `{"m":"${MARK}\u0000"}`],
  ['a raw control character inside a string', `{"m":"${MARK}\u0001"}`],
  ['a bad escape', `{"m":"${MARK}\\x41"}`],
  ['a bad unicode escape', `{"m":"${MARK}\\u12"}`],
  ['only whitespace', ' \n\t '],
  ['leading garbage', `)]}'${MARK}{"m":1}`],
  ['hex number', `{"step":0x10,"m":"${MARK}"}`],
  ['a leading zero', `{"expectedVersion":01,"m":"${MARK}"}`],
];

/** Each stored state/field name appears twice: which one wins is a parser's accident, so it must be refused. */
const duplicated: ReadonlyArray<readonly [string, string]> = [
  [
    'expectedVersion twice',
    `{"expectedVersion":"$HEAD","expectedVersion":"$NEXT","state":{"agentName":"p","status":"running","step":1,"data":"${MARK}"}}`,
  ],
  [
    'state twice',
    `{"expectedVersion":"$HEAD","state":{"agentName":"p","status":"running","step":1,"data":"${MARK}"},"state":{"agentName":"q","status":"running","step":2,"data":1}}`,
  ],
  [
    'status twice in the state',
    `{"expectedVersion":"$HEAD","state":{"agentName":"p","status":"completed","status":"running","step":1,"data":"${MARK}"}}`,
  ],
  [
    'checkpoint twice',
    `{"checkpoint":"FULL","checkpoint":"AUTO","expectedVersion":"$HEAD","state":{"agentName":"p","status":"running","step":1,"data":"${MARK}"}}`,
  ],
  [
    'patch twice',
    `{"baseVersion":"$HEAD","patch":[{"op":"add","path":"/data/a","value":"${MARK}"}],"patch":[{"op":"remove","path":"/data"}]}`,
  ],
  ['version twice in a restore-shaped body', `{"version":1,"version":2,"m":"${MARK}"}`],
];

export const brokenJson: fc.Arbitrary<RawBody> = fc
  .constantFrom(...broken)
  .map(([why, text]) => ({ why: `invalid JSON: ${why}`, intent: 'bad' as Intent, text }));

export const duplicatedKeys: fc.Arbitrary<RawBody> = fc
  .constantFrom(...duplicated)
  .map(([why, text]) => ({ why: `duplicated key: ${why}`, intent: 'bad' as Intent, text }));

/** Over the body limit (64 KiB here), or deeply nested raw text no recursive parser should be trusted with. */
export const oversized: fc.Arbitrary<RawBody> = fc.oneof(
  fc.integer({ min: 66_000, max: 3_000_000 }).map((n) => ({
    why: `a ${n}-byte body`,
    intent: 'bad' as Intent,
    text: save(`"${MARK}${'x'.repeat(n)}"`),
  })),
  fc.integer({ min: 1_000, max: 30_000 }).map((n) => ({
    why: `raw nesting ${n} deep`,
    intent: 'bad' as Intent,
    text: `${'['.repeat(n)}"${MARK}"${']'.repeat(n)}`,
  })),
);

/** RFC 8259 lets a parser ignore a byte order mark: taking it or refusing it are both fine. */
const withBom: fc.Arbitrary<RawBody> = fc.constant({
  why: 'a byte order mark before the document',
  intent: 'either' as Intent,
  text: `\ufeff${save(`"${MARK}"`)}`,
});

export const rawBody: fc.Arbitrary<RawBody> = fc.oneof(brokenJson, duplicatedKeys, oversized, withBom);
