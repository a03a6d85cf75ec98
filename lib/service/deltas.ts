/**
 * What a save stores: the change against the version it builds on (a patch, one link of the run's delta chain),
 * or the whole state. A step then costs in proportion to what changed, and a load rebuilds at most a bounded
 * chain (lib/tiers/chain.ts). The policy is data (SnapshotPolicy); `deltaOf` and `needsSnapshot` execute it.
 */
import fastJsonPatch from 'fast-json-patch';
import type { PatchOperation } from '../model/state.ts';
import type { ChainPosition } from '../tiers/types.ts';

/**
 * When a chain is cut by a whole state. A FULL checkpoint, the first version and a restore are always whole;
 * otherwise a patch is stored while the chain since the last whole state stays within both bounds.
 */
export interface SnapshotPolicy {
  /** Most patches after a whole state. */
  readonly maxLinks: number;
  /** Most patch bytes after a whole state, as a multiple of the state's size (1 = a chain never outweighs it). */
  readonly maxChainRatio: number;
}

/**
 * The byte bound is what keeps a run's storage linear in its changes: a whole state of S bytes is stored only
 * after S bytes of patches, so it costs at most one patch byte per patch byte, however long the run. The link
 * bound is a backstop, set far above where it would cut a chain of small patches: a bound of 64 stored the whole
 * state again every 64 steps, so a step cost state ÷ 64 bytes and a run's bytes grew with the square of its
 * length (1.24–1.41× per step from 30 to 120 steps in the workload bench). A long chain costs a load little:
 * rebuilding is dominated by the state itself (parse, canonical JSON, hash): a 2.2 MB state rebuilds in ~16 ms
 * through 63 patches and ~27 ms through 999 (docs/decisions.md, "Delta chains").
 */
export const DEFAULT_SNAPSHOT_POLICY: SnapshotPolicy = { maxLinks: 1024, maxChainRatio: 1 };

/** The version a save builds on, as the service has it at hand (from the head cache or a read). */
export interface DeltaBase {
  readonly version: number;
  /** Hash of the base as stored: a patch is stored only onto this content (the tiers check it). */
  readonly hash: string;
  readonly chain: ChainPosition;
  /** The base state as stored (ephemeral paths removed), not modified by the save. Absent when only `operations` are known. */
  readonly stored?: unknown;
  /**
   * The client's patch, when it took `stored` to the new state and no path of it is ephemeral: it is then the
   * delta as sent (without its `test` operations), and no diff is computed.
   */
  readonly operations?: readonly PatchOperation[];
}

/** The change from `base` to `next` (the new state as stored), or null when it cannot be had without a diff base. */
export function deltaOf(base: DeltaBase, next: unknown, nextHash: string): readonly unknown[] | null {
  if (nextHash === base.hash) return []; // unchanged: the version moves on, nothing of the state is stored again
  if (base.operations) return base.operations.filter((operation) => operation.op !== 'test');
  if (base.stored === undefined) return null;
  return fastJsonPatch.compare(base.stored as object, next as object);
}

/** Whether the chain, with a link of `deltaBytes` added, is due for a whole state of `stateBytes`. */
export function needsSnapshot(
  policy: SnapshotPolicy,
  chain: ChainPosition,
  deltaBytes: number,
  stateBytes: number,
): boolean {
  return chain.links + 1 > policy.maxLinks || chain.bytes + deltaBytes > policy.maxChainRatio * stateBytes;
}
