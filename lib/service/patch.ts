/** Applying an RFC 6902 patch to a stored state, with errors mapped to Strata's. */
import fastJsonPatch from 'fast-json-patch';
import { InvalidRequest, PatchTestFailed } from '../errors.ts';
import type { DeepAgentState, PatchOperation } from '../model/state.ts';
import { validateState } from './versions.ts';

const { applyPatch, JsonPatchError } = fastJsonPatch;

export function applyStatePatch(base: DeepAgentState, operations: readonly PatchOperation[]): DeepAgentState {
  let patched: unknown;
  try {
    // validate=true checks every operation before applying; the base is cloned so a failure leaves it intact.
    patched = applyPatch(
      structuredClone(base),
      operations as fastJsonPatch.Operation[],
      true,
      true,
    ).newDocument;
  } catch (error) {
    if (error instanceof JsonPatchError) {
      const where = `operation ${error.index ?? '?'}`;
      if (error.name === 'TEST_OPERATION_FAILED') throw new PatchTestFailed(`patch ${where}: test failed`);
      throw new InvalidRequest(`patch ${where} cannot be applied: ${error.name}`);
    }
    // fast-json-patch refuses __proto__/constructor paths with a TypeError (prototype pollution guard).
    if (error instanceof TypeError) throw new InvalidRequest(`patch refused: ${error.message}`);
    throw error;
  }
  return validateState(patched);
}
