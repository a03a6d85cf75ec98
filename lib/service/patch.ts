/**
 * Applying an RFC 6902 patch to a stored state, with errors mapped to Strata's.
 *
 * A patch may only bring in a bounded amount of new data: every `add`/`replace` value and every `copy`d subtree
 * counts against a byte budget (the state limit) *before* the operation runs. Without it a 1 KB body of
 * `copy` operations, each doubling the document, held the event loop for seconds and the process at gigabytes
 * before the size check at the end could refuse it.
 */
import fastJsonPatch from 'fast-json-patch';
import { InvalidRequest, PatchTestFailed, TooLarge } from '../errors.ts';
import { jsonSizeWithin } from '../model/limits.ts';
import { CopyOnWrite } from '../model/shared-json.ts';
import type { DeepAgentState, PatchOperation } from '../model/state.ts';
import { validateState } from './versions.ts';

const { applyOperation, getValueByPointer, JsonPatchError } = fastJsonPatch;

/** Bytes (about: the length of its JSON text) that `operation` brings into the document. */
function incomingBytes(document: unknown, operation: PatchOperation, limit: number): number {
  switch (operation.op) {
    case 'add':
    case 'replace':
      return jsonSizeWithin(operation.value, limit);
    case 'copy': {
      let source: unknown;
      try {
        source = getValueByPointer(document, operation.from);
      } catch {
        return 0; // a missing `from` is refused by the operation itself
      }
      return jsonSizeWithin(source, limit);
    }
    default:
      return 0;
  }
}

/**
 * The state `operations` make of `base`. `base` is not modified: the containers the operations write to are
 * copied, the rest is shared with it (shared-json.ts), so a small patch on a large state costs what it changes.
 */
export function applyStatePatch(
  base: DeepAgentState,
  operations: readonly PatchOperation[],
  budgetBytes: number,
): DeepAgentState {
  const copies = new CopyOnWrite();
  let document: unknown = base;
  let spent = 0;
  operations.forEach((operation, index) => {
    spent += incomingBytes(document, operation, budgetBytes - spent + 1);
    if (spent > budgetBytes) {
      throw new TooLarge(
        `patch operation ${index} brings the data the patch adds past ${budgetBytes} bytes, the state limit`,
        budgetBytes,
      );
    }
    try {
      document = copies.prepare(document, operation);
      // validate=true checks the operation against the document; banPrototypeModifications refuses __proto__.
      document = applyOperation(
        document,
        operation as fastJsonPatch.Operation,
        true,
        true,
        true,
        index,
      ).newDocument;
    } catch (error) {
      if (error instanceof JsonPatchError) {
        if (error.name === 'TEST_OPERATION_FAILED')
          throw new PatchTestFailed(`patch operation ${index}: test failed`);
        throw new InvalidRequest(`patch operation ${index} cannot be applied: ${error.name}`);
      }
      // fast-json-patch refuses __proto__/constructor paths with a TypeError (prototype pollution guard).
      if (error instanceof TypeError)
        throw new InvalidRequest(`patch operation ${index} refused: ${error.message}`);
      throw error;
    }
  });
  return validateState(document);
}
