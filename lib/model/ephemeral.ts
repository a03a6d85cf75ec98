/** Ephemeral paths: parts of a state the agent sends but Strata does not keep (scratch buffers, caches). */
import fastJsonPatch from 'fast-json-patch';

const { applyOperation, getValueByPointer } = fastJsonPatch;

/** A copy of `state` without the values at `pointers` (JSON Pointers); absent paths are ignored. */
export function withoutEphemeral<T extends object>(state: T, pointers: readonly string[]): T {
  if (pointers.length === 0) return state;
  let copy: T | undefined;
  for (const path of pointers) {
    const target = copy ?? state;
    if (getValueByPointer(target, path) === undefined) continue;
    copy ??= structuredClone(state);
    applyOperation(copy, { op: 'remove', path }, false, true);
  }
  return copy ?? state;
}
