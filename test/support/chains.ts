/**
 * Delta chains for tier tests: a run's states, each stored whole or as the RFC 6902 patch from the state before
 * it, with the hashes the service would give them (sha256 of canonical JSON).
 */
import fastJsonPatch from 'fast-json-patch';
import { canonicalJson, sha256Hex } from '../../lib/model/canonical.ts';
import type { StoredVersion } from '../../lib/tiers/types.ts';

export interface ChainStep {
  readonly state: unknown;
  /** Store it whole (a snapshot) rather than as a patch on the step before. */
  readonly whole?: boolean;
}

/** The state of step `v` of a made-up run: a growing message list and a changing scratch object. */
export function stateAt(v: number): unknown {
  return {
    agentName: 'chain',
    status: 'running',
    step: v,
    data: {
      messages: Array.from({ length: v }, (_, i) => ({ role: i % 2 ? 'ai' : 'user', text: `m${i} é 中 🧪` })),
      scratch: { last: v, [`k${v % 3}`]: v * 7 },
    },
  };
}

/** Records for versions 1..steps.length: version 1 and each `whole` step as a whole state, the rest as patches. */
export function chainOf(steps: readonly ChainStep[], savedAt = 1_790_000_000_000): StoredVersion[] {
  const out: StoredVersion[] = [];
  steps.forEach((step, i) => {
    const version = i + 1;
    const json = canonicalJson(step.state);
    const base = {
      version,
      hash: sha256Hex(json),
      checkpoint: 'AUTO' as const,
      encoding: 'json' as const,
      sizeBytes: Buffer.byteLength(json),
      savedAt: savedAt + version,
    };
    const previous = out.at(-1);
    if (!previous || step.whole) {
      out.push({ ...base, payload: json });
      return;
    }
    const ops = fastJsonPatch.compare(steps[i - 1]!.state as object, step.state as object);
    out.push({ ...base, payload: JSON.stringify(ops), format: 'patch', baseHash: previous.hash });
  });
  return out;
}

/** The canonical JSON of each step's state: what a load must answer for that version. */
export const canonicalOf = (steps: readonly ChainStep[]) => steps.map((s) => canonicalJson(s.state));

export const steps = (n: number, wholeAt: readonly number[] = []): ChainStep[] =>
  Array.from({ length: n }, (_, i) => ({ state: stateAt(i + 1), whole: wholeAt.includes(i + 1) }));
