/** Turning a state into a stored version and back: ephemeral paths, limits, canonical JSON, hash, compression. */
import * as v from 'valibot';
import { InvalidRequest } from '../errors.ts';
import { canonicalJson, sha256Hex } from '../model/canonical.ts';
import { decodePayload, encodePayload } from '../model/codec.ts';
import { withoutEphemeral } from '../model/ephemeral.ts';
import { assertDepth, assertStateSize } from '../model/limits.ts';
import { type DeepAgentState, DeepAgentStateSchema } from '../model/state.ts';
import type { RunFields } from '../tiers/durable/port.ts';
import type { CheckpointType, StoredVersion } from '../tiers/types.ts';
import type { ServiceSettings } from './deps.ts';

/** The stored version and its canonical JSON (kept by the instance's head cache). */
export function buildVersion(
  state: DeepAgentState,
  checkpoint: CheckpointType,
  version: number,
  savedAt: number,
  settings: ServiceSettings,
): { readonly record: StoredVersion; readonly canonical: string } {
  const kept = withoutEphemeral(state, settings.ephemeralPaths);
  assertDepth(kept, settings.limits.maxDepth, 'the state');
  const canonical = canonicalJson(kept);
  const sizeBytes = Buffer.byteLength(canonical, 'utf8');
  assertStateSize(sizeBytes, settings.limits.maxStateBytes);
  const encoded = encodePayload(canonical, sizeBytes, settings.compressAboveBytes);
  return {
    record: { version, hash: sha256Hex(canonical), checkpoint, ...encoded, sizeBytes, savedAt },
    canonical,
  };
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
