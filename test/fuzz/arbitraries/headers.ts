/** Header twists applied to any request: credentials, Content-Type and charset, Content-Encoding, Idempotency-Key. */
import fc from 'fast-check';
import type { FuzzCase, Intent } from './case.ts';

export interface HeaderTwist {
  readonly why: string;
  readonly intent: Intent;
  /** Header lines replacing the request's default ones of the same names. */
  readonly lines: ReadonlyArray<readonly [string, string]>;
  /** Lines removed (lower-case names). */
  readonly drop?: readonly string[];
  readonly encoding?: FuzzCase['encoding'];
}

const twist = (why: string, intent: Intent, lines: HeaderTwist['lines'], more: Partial<HeaderTwist> = {}) =>
  fc.constant<HeaderTwist>({ why, intent, lines, ...more });

export const authTwist: fc.Arbitrary<HeaderTwist> = fc.oneof(
  twist('no Authorization', 'bad', [], { drop: ['authorization'] }),
  twist('two Authorization headers (own key twice)', 'bad', [
    ['authorization', 'Bearer $KEY'],
    ['authorization', 'Bearer $KEY'],
  ]),
  twist('two Authorization headers (own and foreign key)', 'bad', [
    ['authorization', 'Bearer $FOREIGN'],
    ['authorization', 'Bearer $KEY'],
  ]),
  twist('Basic instead of Bearer', 'bad', [['authorization', 'Basic $KEY']]),
  twist('Bearer without a key', 'bad', [['authorization', 'Bearer ']]),
  twist('an unknown key', 'bad', [['authorization', 'Bearer sk_strata_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA']]),
  twist('two keys in one header', 'bad', [['authorization', 'Bearer $KEY, Bearer $KEY']]),
  fc
    .string({ unit: fc.constantFrom('a', '%', '\u00ff', ' ', '\t', 'Z', '=', ','), maxLength: 600 })
    .map((junk) => ({
      why: 'junk credentials',
      intent: 'bad' as Intent,
      lines: [['authorization', `Bearer ${junk}x`]] as const,
    })),
);

/** Content-Type variants; only application/json (or +json) in UTF-8 may be taken. */
export const contentTypeTwist: fc.Arbitrary<HeaderTwist> = fc.oneof(
  twist('Content-Type with charset utf-8', 'valid', [['content-type', 'application/json; charset=utf-8']]),
  twist('Content-Type in capitals', 'valid', [['content-type', 'APPLICATION/JSON']]),
  twist('no Content-Type', 'either', [], { drop: ['content-type'] }),
  twist('a +json media type', 'either', [['content-type', 'application/vnd.strata+json']]),
  twist('text/plain', 'bad', [['content-type', 'text/plain']]),
  twist('form-urlencoded', 'bad', [['content-type', 'application/x-www-form-urlencoded']]),
  twist('multipart', 'bad', [['content-type', 'multipart/form-data; boundary=x']]),
  twist('xml', 'bad', [['content-type', 'application/xml']]),
  twist('application/jsonx', 'bad', [['content-type', 'application/jsonx']]),
  twist('charset latin1', 'bad', [['content-type', 'application/json; charset=latin1']], {
    encoding: 'latin1',
  }),
  twist('charset utf-16 with utf-16 bytes', 'bad', [['content-type', 'application/json; charset=utf-16']], {
    encoding: 'utf16le',
  }),
  twist('charset bogus', 'bad', [['content-type', 'application/json; charset=klingon']]),
  twist('two Content-Type headers', 'bad', [
    ['content-type', 'application/json'],
    ['content-type', 'text/plain'],
  ]),
);

export const encodingTwist: fc.Arbitrary<HeaderTwist> = fc.oneof(
  twist('Content-Encoding gzip over plain bytes', 'bad', [['content-encoding', 'gzip']]),
  twist('Content-Encoding br over plain bytes', 'bad', [['content-encoding', 'br']]),
  twist('Content-Encoding bogus', 'bad', [['content-encoding', 'x-fuzz']]),
  twist('Content-Encoding deflate, gzip', 'bad', [['content-encoding', 'deflate, gzip']]),
  twist('Content-Encoding gzip with a gzip body', 'either', [['content-encoding', 'gzip']], {
    encoding: 'gzip',
  }),
  twist('Content-Encoding identity', 'either', [['content-encoding', 'identity']]),
);

const keyChars = fc.constantFrom('a', 'Z', '0', '-', '_', '~', '!', ' ', '\u00e9', '\t', '"');

export const idempotencyTwist: fc.Arbitrary<HeaderTwist> = fc.oneof(
  twist('empty Idempotency-Key', 'bad', [['idempotency-key', '']]),
  twist('Idempotency-Key of 256 chars', 'bad', [['idempotency-key', 'k'.repeat(256)]]),
  twist('two Idempotency-Key headers', 'bad', [
    ['idempotency-key', 'fz-a'],
    ['idempotency-key', 'fz-b'],
  ]),
  // Framed by letters so the odd character stays inside the value (servers trim outer whitespace).
  fc
    .tuple(fc.string({ unit: keyChars, maxLength: 40 }), fc.constantFrom(' ', '\u00e9', '\t'))
    .map(([key, odd]) => ({
      why: 'Idempotency-Key with a space, a tab or non-ASCII',
      intent: 'bad' as Intent,
      lines: [['idempotency-key', `k${key}${odd}k`]] as const,
    })),
  twist('a plain Idempotency-Key', 'either', [['idempotency-key', 'fz-plain-key']]),
);

/** A twist that may or may not apply; `none` keeps the default headers. */
export const anyTwist: fc.Arbitrary<HeaderTwist> = fc.oneof(
  { weight: 4, arbitrary: twist('default headers', 'valid', []) },
  { weight: 2, arbitrary: authTwist },
  { weight: 2, arbitrary: contentTypeTwist },
  { weight: 1, arbitrary: encodingTwist },
  { weight: 1, arbitrary: idempotencyTwist },
);

/** Default header lines of a request, with `twist` applied. */
export function withTwist(defaults: FuzzCase['headers'], t: HeaderTwist): FuzzCase['headers'] {
  const replaced = new Set([...t.lines.map(([name]) => name), ...(t.drop ?? [])]);
  return [...defaults.filter(([name]) => !replaced.has(name)), ...t.lines];
}
