/** Turning a state into a stored version and back: ephemeral paths, limits, canonical JSON, hash, delta, compression. */
import * as v from 'valibot';
import { InvalidRequest } from '../errors.ts';
import { canonicalText } from '../model/canonical.ts';
import { decodePayload, encodePayload } from '../model/codec.ts';
import { withoutEphemeral } from '../model/ephemeral.ts';
import { assertDepth, assertStateSize } from '../model/limits.ts';
import { sharedCanonical } from '../model/shared-json.ts';
import { type DeepAgentState, DeepAgentStateSchema } from '../model/state.ts';
import type { RunFields } from '../tiers/durable/port.ts';
import type { CheckpointType, StoredVersion } from '../tiers/types.ts';
import { DEFAULT_SNAPSHOT_POLICY, type DeltaBase, deltaOf, needsSnapshot } from './deltas.ts';
import type { ServiceSettings } from './deps.ts';

export interface BuiltVersion {
  /** What the save stores: a patch against its base, or the whole state (deltas.ts decides). */
  readonly record: StoredVersion;
  /** The whole state as stored (ephemeral paths removed): the instance's head cache keeps it, never modified. */
  readonly stored: DeepAgentState;
  /**
   * The whole-state record of the same version, made (and compressed) only when asked: for a tier that lacks
   * the patch's base, for the fallback spool, for a promotion. `record` itself when it is whole.
   */
  readonly whole: () => StoredVersion;
  /** The canonical JSON of `stored`, joined on first call. */
  readonly json: () => string;
}

/** The stored version of `state`: a link of the run's delta chain on `base` when the policy allows, else whole. */
export function buildVersion(
  state: DeepAgentState,
  checkpoint: CheckpointType,
  version: number,
  savedAt: number,
  settings: ServiceSettings,
  base?: DeltaBase,
): BuiltVersion {
  const kept = withoutEphemeral(state, settings.ephemeralPaths);
  assertDepth(kept, settings.limits.maxDepth, 'the state');
  // A state patched from its base shares every subtree the patch did not touch (shared-json.ts): only what
  // changed is serialised, and what is serialised is remembered (frozen) for the next patch on it. A whole state
  // shares nothing with anything serialised before: it is written plainly, which costs less than remembering.
  const canonical =
    kept === state && base?.operations !== undefined ? sharedCanonical(kept) : canonicalText(kept);
  const sizeBytes = canonical.bytes;
  assertStateSize(sizeBytes, settings.limits.maxStateBytes);
  const hash = canonical.sha256;
  let wholeRecord: StoredVersion | undefined;
  const whole = () => {
    wholeRecord ??= {
      version,
      hash,
      checkpoint,
      ...encodePayload(canonical.text(), sizeBytes, settings.compressAboveBytes),
      sizeBytes,
      savedAt,
    };
    return wholeRecord;
  };
  const delta =
    base && checkpoint !== 'FULL' && base.version === version - 1 ? deltaOf(base, kept, hash) : null;
  if (!delta || !base) return { record: whole(), stored: kept, whole, json: canonical.text };
  const json = JSON.stringify(delta);
  const encoded = encodePayload(json, Buffer.byteLength(json, 'utf8'), settings.compressAboveBytes);
  const policy = settings.snapshots ?? DEFAULT_SNAPSHOT_POLICY;
  // An empty delta (the state did not change) never calls for a snapshot: it stores nothing of the state.
  if (delta.length > 0 && needsSnapshot(policy, base.chain, encoded.payload.length, sizeBytes))
    return { record: whole(), stored: kept, whole, json: canonical.text };
  const record: StoredVersion = {
    version,
    hash,
    checkpoint,
    ...encoded,
    sizeBytes,
    savedAt,
    format: 'patch',
    baseHash: base.hash,
    chain: { links: base.chain.links + 1, bytes: base.chain.bytes + encoded.payload.length },
  };
  return { record, stored: kept, whole, json: canonical.text };
}

/** The canonical JSON text of a stored version (decompressed, not parsed). */
export function stateJsonOf(record: StoredVersion): string {
  return decodePayload(record);
}

export function stateOf(record: StoredVersion): DeepAgentState {
  return JSON.parse(stateJsonOf(record)) as DeepAgentState;
}

/** Re-check a state produced by a patch against the model, as a whole-state save would be. */
export function validateState(candidate: unknown): DeepAgentState {
  const parsed = v.safeParse(DeepAgentStateSchema, candidate);
  if (!parsed.success) {
    throw new InvalidRequest(
      'the patched state is not a valid DeepAgentState',
      v.flatten(parsed.issues).nested,
    );
  }
  return parsed.output;
}

export function runFieldsOf(state: DeepAgentState): RunFields {
  return {
    agentName: state.agentName,
    parentRunId: state.parentRunId ?? null,
    threadId: state.threadId ?? null,
    userId: state.userId ?? null,
    status: state.status,
  };
}
