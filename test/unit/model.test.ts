import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { canonicalJson, contentHash, sha256Hex } from '../../lib/model/canonical.ts';
import { decodePayload, encodePayload } from '../../lib/model/codec.ts';
import { withoutEphemeral } from '../../lib/model/ephemeral.ts';
import { nestingDepth, parseJsonBody } from '../../lib/model/limits.ts';
import { StatePersistenceRequestSchema } from '../../lib/model/state.ts';

const state = { agentName: 'a', status: 'running', step: 0, data: {} };

describe('canonical JSON and hash', () => {
  it('orders keys and ignores formatting, so equal states hash equally', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 0, y: 1 }], c: 'é' } })).toBe(
      '{"a":{"c":"é","d":[1,{"y":1,"z":0}]},"b":1}',
    );
    expect(contentHash({ x: 1, y: [2] })).toBe(contentHash(JSON.parse('{ "y": [2], "x": 1.0 }')));
    expect(contentHash({ x: 1 })).not.toBe(contentHash({ x: 2 }));
  });

  it('hashes canonical JSON with sha256 (checked against a known digest)', () => {
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(contentHash({ a: 1 })).toBe(sha256Hex('{"a":1}'));
  });
});

describe('payload codec', () => {
  it('keeps small payloads as JSON and compresses large ones losslessly', () => {
    const small = canonicalJson({ a: 1 });
    expect(encodePayload(small, small.length, 100)).toEqual({ encoding: 'json', payload: small });
    const big = canonicalJson({
      items: Array.from({ length: 500 }, (_, i) => ({ i, text: 'lorem ipsum ✓' })),
    });
    const encoded = encodePayload(big, Buffer.byteLength(big), 1024);
    expect(encoded.encoding).toBe('gzip-base64');
    expect(encoded.payload.length).toBeLessThan(big.length / 3);
    expect(decodePayload(encoded)).toBe(big);
  });

  it('keeps payloads that base64 would grow as JSON', () => {
    const noise = JSON.stringify(
      Buffer.from(Array.from({ length: 3000 }, () => Math.floor(Math.random() * 256))).toString('base64'),
    );
    expect(encodePayload(noise, noise.length, 10).encoding).toBe('json');
  });
});

describe('limits', () => {
  it('measures nesting depth without recursion', () => {
    expect(nestingDepth(1)).toBe(0);
    expect(nestingDepth({ a: [1, { b: {} }] })).toBe(4);
    let deep: unknown = 0;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(nestingDepth(deep)).toBe(100_000);
  });

  it('refuses bodies over the byte limit and malformed JSON', () => {
    expect(() => parseJsonBody('{"a":1}', 3)).toThrow(/limit is 3/);
    expect(() => parseJsonBody('{"a":', 100)).toThrow(/not valid JSON/);
    expect(() => parseJsonBody(undefined, 100)).toThrow(/needs a JSON body/);
    expect(parseJsonBody(Buffer.from('{"a":"é"}'), 100)).toEqual({ a: 'é' });
  });
});

describe('ephemeral paths', () => {
  it('drops configured paths from a copy and leaves the original alone', () => {
    const s = { ...state, data: { keep: 1, scratch: { big: 'x' } } };
    const kept = withoutEphemeral(s, ['/data/scratch', '/data/absent']);
    expect(kept.data).toEqual({ keep: 1 });
    expect(s.data.scratch).toEqual({ big: 'x' });
    expect(withoutEphemeral(s, [])).toBe(s);
  });
});

describe('StatePersistenceRequest', () => {
  const parse = (input: unknown) => v.safeParse(StatePersistenceRequestSchema, input);

  it('defaults the checkpoint to AUTO', () => {
    const parsed = parse({ state, expectedVersion: 0 });
    expect(parsed.success && parsed.output.checkpoint).toBe('AUTO');
  });

  it.each([
    [{}, 'exactly one'],
    [{ state, patch: [{ op: 'remove', path: '/data' }], baseVersion: 1 }, 'exactly one'],
    [{ patch: [{ op: 'remove', path: '/data' }] }, 'baseVersion'],
    [{ state, extra: 1 }, 'extra'],
    [{ state: { ...state, status: 'done' } }, 'status'],
  ])('refuses %j', (input, hint) => {
    const parsed = parse(input);
    expect(parsed.success).toBe(false);
    expect(JSON.stringify(parsed.issues)).toContain(hint);
  });
});
