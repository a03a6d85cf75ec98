/**
 * Incremental storage through the service: what each save hands the tiers (a patch on its base, or the whole
 * state), when the snapshot policy cuts a chain, and that every version loads back as the state that was saved,
 * whichever tier answers. Memory hot tier + PGlite (the embedded adapters; both pass the tier contracts).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, contentHash } from '../../lib/model/canonical.ts';
import type { DeepAgentState, PatchOperation, StatePersistenceRequestInput } from '../../lib/model/state.ts';
import { silentLogger } from '../../lib/observability/logger.ts';
import type { ServiceSettings } from '../../lib/service/deps.ts';
import { type Caller, createPersistenceService } from '../../lib/service/index.ts';
import type { DurableTier, TenantDirectory } from '../../lib/tiers/durable/port.ts';
import { createMemoryFallback } from '../../lib/tiers/fallback/memory.ts';
import type { HotTier } from '../../lib/tiers/hot/port.ts';
import type { PayloadFormat, RunKey, StoredVersion } from '../../lib/tiers/types.ts';
import { withEmbeddedTiers } from '../support/embedded-tiers.ts';
import { TEST_SETTINGS } from '../support/service-settings.ts';

let durable: DurableTier & TenantDirectory;
let hot: HotTier;
let runs = 0;
const caller = (plan: 'mid' | 'enterprise' = 'enterprise'): Caller => ({
  tenant: { id: `t-deltas-${plan}`, name: 'deltas', plan, createdAt: 0 },
});

withEmbeddedTiers((tiers) => {
  ({ durable, hot } = tiers);
});

/** What a tier was handed: the format of each version a save or commit carried, per tier. */
interface Written {
  readonly hot: Map<number, StoredVersion>;
  readonly durable: Map<number, StoredVersion>;
}

function recording(written: Written) {
  const wrap = <T extends object>(tier: T, method: string, into: Map<number, StoredVersion>): T =>
    new Proxy(tier, {
      get(target, property, receiver) {
        const value: unknown = Reflect.get(target, property, receiver);
        if (typeof value !== 'function') return value;
        return async (...args: unknown[]) => {
          const result = await Reflect.apply(value, target, args);
          const record = args[1] as StoredVersion;
          const kept =
            (property === 'save' && (result as { status: string }).status === 'saved') ||
            (property === 'commit' && (result as { status: string }).status === 'committed');
          if (property === method && kept) into.set(record.version, record);
          return result;
        };
      },
    });
  return { hot: wrap(hot, 'save', written.hot), durable: wrap(durable, 'commit', written.durable) };
}

function service(settings: Partial<ServiceSettings> = {}) {
  const written: Written = { hot: new Map(), durable: new Map() };
  const tiers = recording(written);
  const s = createPersistenceService({
    hot: tiers.hot,
    durable: tiers.durable,
    fallback: createMemoryFallback(),
    // Test states are tiny, so a patch is often as large as its state: only the bytes test bounds the chain by size.
    settings: { ...TEST_SETTINGS, snapshots: { maxLinks: 64, maxChainRatio: 100 }, ...settings },
    log: silentLogger,
    now: Date.now,
  });
  const formatOf = (tier: keyof Written, v: number): PayloadFormat | undefined => {
    const record = written[tier].get(v);
    return record && (record.format ?? 'state');
  };
  return { s, written, formatOf };
}

const stateOf = (step: number, data: unknown): DeepAgentState => ({
  agentName: 'deltas',
  status: 'running',
  step,
  data,
});

describe('what a save stores', () => {
  it('stores a patch save as the client patch on its base (without its tests); version 1 is whole', async () => {
    const { s, written, formatOf } = service();
    const runId = `d-${++runs}`;
    let doc = stateOf(1, { messages: [] as unknown[], scratch: { a: 1 } });
    await s.save(caller(), { runId, request: { state: doc, checkpoint: 'CRITICAL', expectedVersion: 0 } });
    for (let v = 2; v <= 6; v++) {
      const patch: PatchOperation[] = [
        { op: 'test', path: '/step', value: v - 1 },
        { op: 'replace', path: '/step', value: v },
        { op: 'add', path: '/data/messages/-', value: { text: `message ${v}`, n: v } },
      ];
      await s.save(caller(), { runId, request: { patch, baseVersion: v - 1, checkpoint: 'CRITICAL' } });
      doc = {
        ...doc,
        step: v,
        data: {
          ...(doc.data as object),
          messages: [...(doc.data as { messages: unknown[] }).messages, { text: `message ${v}`, n: v }],
        },
      };
      for (const tier of ['hot', 'durable'] as const) {
        expect(formatOf(tier, v)).toBe('patch');
        expect(JSON.parse(written[tier].get(v)!.payload)).toEqual(patch.slice(1));
        expect(written[tier].get(v)!.hash).toBe(contentHash(doc));
      }
    }
    expect(formatOf('hot', 1)).toBe('state');
    expect(formatOf('durable', 1)).toBe('state');
    const head = await s.load(caller(), { runId });
    expect(head).toMatchObject({
      version: 6,
      hash: contentHash(doc),
      stateJson: canonicalJson(doc),
      servedBy: 'hot',
    });
  });

  it('cuts the chain by the snapshot policy (links, then bytes) and always for FULL', async () => {
    const { s, formatOf } = service({ snapshots: { maxLinks: 3, maxChainRatio: 100 } });
    const runId = `d-${++runs}`;
    await s.save(caller(), {
      runId,
      request: { state: stateOf(0, { n: 0 }), checkpoint: 'CRITICAL', expectedVersion: 0 },
    });
    for (let v = 2; v <= 9; v++) {
      const checkpoint = v === 8 ? 'FULL' : 'CRITICAL';
      const patch = [{ op: 'replace' as const, path: '/data/n', value: v }];
      await s.save(caller(), { runId, request: { patch, baseVersion: v - 1, checkpoint } });
    }
    const formats = Array.from({ length: 9 }, (_, i) => formatOf('durable', i + 1));
    expect(formats).toEqual([
      'state',
      'patch',
      'patch',
      'patch',
      'state',
      'patch',
      'patch',
      'state',
      'patch',
    ]);

    const bytes = service({ snapshots: { maxLinks: 100, maxChainRatio: 0.5 } });
    const big = `b-${++runs}`;
    await bytes.s.save(caller(), {
      runId: big,
      request: { state: stateOf(0, { blob: 'x'.repeat(4_000) }), checkpoint: 'CRITICAL', expectedVersion: 0 },
    });
    const add = (v: number, size: number) =>
      bytes.s.save(caller(), {
        runId: big,
        request: {
          patch: [{ op: 'add', path: `/data/k${v}`, value: 'y'.repeat(size) }],
          baseVersion: v - 1,
          checkpoint: 'CRITICAL',
        },
      });
    await add(2, 500); // 500 B of patch on a 4.5 KB state: within half of it
    await add(3, 4_000); // the chain would pass half the state's size: whole
    expect([2, 3].map((v) => bytes.formatOf('durable', v))).toEqual(['patch', 'state']);
  });

  it('an unchanged state is a new version whose patch is empty: the hash repeats, nothing of the state is stored', async () => {
    const { s, written } = service();
    const runId = `d-${++runs}`;
    const doc = stateOf(1, { big: 'z'.repeat(10_000) });
    const first = await s.save(caller(), {
      runId,
      request: { state: doc, checkpoint: 'CRITICAL', expectedVersion: 0 },
    });
    const same = await s.save(caller(), {
      runId,
      request: {
        patch: [{ op: 'replace', path: '/step', value: 1 }],
        baseVersion: 1,
        checkpoint: 'CRITICAL',
      },
    });
    expect(same).toMatchObject({ version: 2, hash: first.hash, durability: 'durable' });
    expect(written.durable.get(2)).toMatchObject({ format: 'patch', payload: '[]' });
    const again = await s.save(caller(), {
      runId,
      request: { state: doc, checkpoint: 'CRITICAL', expectedVersion: 2 },
    });
    expect(again).toMatchObject({ version: 3, hash: first.hash });
    expect(written.hot.get(3)).toMatchObject({ format: 'patch', payload: '[]' });
    expect((await s.load(caller(), { runId, version: 3 })).stateJson).toBe(canonicalJson(doc));
  });

  it('stores a whole-state save as a diff on the head this instance holds, and whole without one', async () => {
    const { s, written, formatOf } = service();
    const runId = `d-${++runs}`;
    const v1 = stateOf(1, { list: [1, 2, 3], note: 'a', text: 'lorem ipsum '.repeat(50) });
    const v2 = stateOf(2, { list: [1, 2, 3, 4], note: 'b', text: 'lorem ipsum '.repeat(50) });
    await s.save(caller(), { runId, request: { state: v1, checkpoint: 'CRITICAL', expectedVersion: 0 } });
    await s.save(caller(), { runId, request: { state: v2, checkpoint: 'CRITICAL', expectedVersion: 1 } });
    expect(formatOf('durable', 2)).toBe('patch');
    expect(written.durable.get(2)!.payload.length).toBeLessThan(canonicalJson(v2).length);
    // Another instance (a fresh service) has no cached head: its whole-state save is stored whole.
    const other = service();
    await other.s.save(caller(), {
      runId,
      request: { state: stateOf(3, {}), checkpoint: 'CRITICAL', expectedVersion: 2 },
    });
    expect(other.formatOf('durable', 3)).toBe('state');
    expect((await s.load(caller(), { runId, version: 2 })).stateJson).toBe(canonicalJson(v2));
  });

  it('diffs the stored states, not the sent ones, when ephemeral paths are configured', async () => {
    const { s, written } = service({ ephemeralPaths: ['/data/cache'] });
    const runId = `d-${++runs}`;
    await s.save(caller(), {
      runId,
      request: {
        state: stateOf(1, { keep: 1, cache: { big: 'c'.repeat(500) } }),
        checkpoint: 'CRITICAL',
        expectedVersion: 0,
      },
    });
    const patch: PatchOperation[] = [
      { op: 'add', path: '/data/cache', value: { big: 'other' } },
      { op: 'replace', path: '/data/keep', value: 2 },
    ];
    await s.save(caller(), { runId, request: { patch, baseVersion: 1, checkpoint: 'CRITICAL' } });
    expect(JSON.parse(written.durable.get(2)!.payload)).toEqual([
      { op: 'replace', path: '/data/keep', value: 2 },
    ]);
    expect(JSON.parse((await s.load(caller(), { runId })).stateJson)).toEqual(stateOf(1, { keep: 2 }));
  });

  it('commits whole a patch whose base Postgres never got (a hot-only version before it)', async () => {
    const { s, formatOf } = service();
    const runId = `d-${++runs}`;
    const p = (v: number, checkpoint: 'AUTO' | 'CRITICAL') =>
      s.save(caller('mid'), {
        runId,
        request: { patch: [{ op: 'replace', path: '/data/n', value: v }], baseVersion: v - 1, checkpoint },
      });
    await s.save(caller('mid'), {
      runId,
      request: { state: stateOf(1, { n: 1 }), checkpoint: 'CRITICAL', expectedVersion: 0 },
    });
    await p(2, 'AUTO'); // hot only on this plan
    const third = await p(3, 'CRITICAL');
    expect(third.durability).toBe('durable');
    expect([formatOf('hot', 2), formatOf('hot', 3), formatOf('durable', 3)]).toEqual([
      'patch',
      'patch',
      'state',
    ]);
    const key: RunKey = { tenantId: caller('mid').tenant.id, runId };
    expect(await durable.loadLatest(key)).toMatchObject({
      version: 3,
      payload: canonicalJson(stateOf(1, { n: 3 })),
    });
  });

  it('saves whole when the hot tier lost the chain its cached base was on', async () => {
    const { s, formatOf } = service();
    const runId = `d-${++runs}`;
    const key: RunKey = { tenantId: caller().tenant.id, runId };
    await s.save(caller(), {
      runId,
      request: { state: stateOf(1, { n: 1 }), checkpoint: 'CRITICAL', expectedVersion: 0 },
    });
    await hot.delete(key); // a TTL, a Redis restart
    const second = await s.save(caller(), {
      runId,
      request: {
        patch: [{ op: 'replace', path: '/data/n', value: 2 }],
        baseVersion: 1,
        checkpoint: 'CRITICAL',
      },
    });
    expect(second.version).toBe(2);
    expect(formatOf('hot', 2)).toBe('state');
    expect(JSON.parse((await s.load(caller(), { runId })).stateJson)).toEqual(stateOf(1, { n: 2 }));
  });
});

describe('every version loads back as saved', () => {
  const op = fc.oneof(
    fc.record({ kind: fc.constant('append' as const), text: fc.string({ maxLength: 40 }) }),
    fc.record({
      kind: fc.constant('scratch' as const),
      key: fc.constantFrom('a', 'b', 'c'),
      value: fc.jsonValue({ maxDepth: 2 }),
    }),
    fc.record({ kind: fc.constant('drop' as const) }),
    fc.record({ kind: fc.constant('whole' as const), data: fc.jsonValue({ maxDepth: 2 }) }),
    fc.record({ kind: fc.constant('full' as const) }),
  );

  it('through chains cut at random, from the hot tier, Postgres, and after the hot copy is gone', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(op, { minLength: 1, maxLength: 14 }),
        fc.integer({ min: 1, max: 5 }),
        async (steps, maxLinks) => {
          const { s } = service({ snapshots: { maxLinks, maxChainRatio: 2 } });
          const runId = `p-${++runs}`;
          // The model: the state each save must produce, built without the service.
          let doc = stateOf(0, { messages: [] as unknown[], scratch: {} as Record<string, unknown> });
          const data = () => doc.data as { messages: unknown[]; scratch: Record<string, unknown> };
          await s.save(caller(), {
            runId,
            request: { state: doc, checkpoint: 'CRITICAL', expectedVersion: 0 },
          });
          const saved = [canonicalJson(doc)];
          for (const [i, step] of steps.entries()) {
            const base = i + 1;
            let request: StatePersistenceRequestInput;
            if (step.kind === 'whole') {
              doc = stateOf(base, { messages: [], scratch: { whole: step.data } });
              request = { state: doc, checkpoint: 'CRITICAL', expectedVersion: base };
            } else {
              let patch: PatchOperation[];
              if (step.kind === 'append') {
                patch = [{ op: 'add', path: '/data/messages/-', value: step.text }];
                doc = { ...doc, data: { ...data(), messages: [...data().messages, step.text] } };
              } else if (step.kind === 'scratch') {
                patch = [{ op: 'add', path: `/data/scratch/${step.key}`, value: step.value }];
                doc = { ...doc, data: { ...data(), scratch: { ...data().scratch, [step.key]: step.value } } };
              } else if (step.kind === 'drop' && data().messages.length > 0) {
                patch = [{ op: 'remove', path: '/data/messages/0' }];
                doc = { ...doc, data: { ...data(), messages: data().messages.slice(1) } };
              } else {
                patch = [{ op: 'replace', path: '/step', value: base }];
                doc = { ...doc, step: base };
              }
              request = { patch, baseVersion: base, checkpoint: step.kind === 'full' ? 'FULL' : 'CRITICAL' };
            }
            await s.save(caller(), { runId, request: request as never });
            saved.push(canonicalJson(doc));
          }
          const key: RunKey = { tenantId: caller().tenant.id, runId };
          for (const [i, json] of saved.entries()) {
            const v = i + 1;
            expect((await s.load(caller(), { runId, version: v })).stateJson).toBe(json);
            expect((await durable.loadVersion(key, v))?.payload).toBe(json);
          }
          expect((await hot.load(key))?.payload).toBe(saved.at(-1));
          const history = await durable.loadVersions(key, { limit: 1000 });
          expect(history.map((r) => r.payload)).toEqual([...saved].reverse());
          await hot.delete(key);
          expect((await s.load(caller(), { runId })).stateJson).toBe(saved.at(-1));
        },
      ),
      { numRuns: 40, seed: 20261201 },
    );
  });
});
