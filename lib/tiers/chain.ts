/**
 * Delta chains: a tier stores a run's versions as a whole state followed by patches (each an RFC 6902 patch
 * from the version before it), and answers every load with whole states. This is the one place that turns
 * stored rows back into states, for every adapter (hot, durable, archive), so they cannot disagree.
 *
 * A rebuilt state is checked against the hash its version was saved with: a chain that does not rebuild to it
 * (a missing or damaged link) is a BrokenChain, never a silently different state.
 */
import fastJsonPatch from 'fast-json-patch';
import { canonicalText } from '../model/canonical.ts';
import { decodePayload } from '../model/codec.ts';
import { CopyOnWrite, sharedCanonical } from '../model/shared-json.ts';
import type { ChainPosition, StoredVersion } from './types.ts';

const { applyOperation } = fastJsonPatch;

export const isPatch = (record: StoredVersion): boolean => record.format === 'patch';

export const WHOLE_STATE: ChainPosition = { links: 0, bytes: 0 };

/** Stored versions that do not rebuild into the states their hashes name. */
export class BrokenChain extends Error {
  override readonly name = 'BrokenChain';
}

/**
 * Rebuilds the versions of `rows` (ascending by version, as stored) that `wanted` picks, in ascending order.
 * A whole state answers as stored (no decoding); a version reached through patches answers canonical JSON.
 * A patch whose previous version is not among the rows cannot be rebuilt from them: it is skipped, and so are
 * the patches after it until the next whole state (a `wanted` version among them throws BrokenChain).
 */
export function rebuildVersions(
  rows: readonly StoredVersion[],
  wanted: (version: number) => boolean,
): StoredVersion[] {
  const out: StoredVersion[] = [];
  // Remembering subtrees pays when several versions sharing them are written; one version is written plainly.
  const severalWanted = rows.filter((row) => isPatch(row) && wanted(row.version)).length > 1;
  const canonical = severalWanted ? sharedCanonical : canonicalText;
  let stateRow: StoredVersion | null = null; // a whole state not decoded yet
  let document: unknown;
  // One CopyOnWrite for the stretch since the last version written out: a container it copied once is this
  // rebuild's own, and later patches change it in place. Replaying n appends to a list copies the list once, not
  // n times (a rebuild is linear in its patches, not in patches × list length).
  let copies = new CopyOnWrite();
  let at = -1;
  let chain = WHOLE_STATE;
  for (const row of rows) {
    if (!isPatch(row)) {
      stateRow = row;
      document = undefined;
      copies = new CopyOnWrite();
      at = row.version;
      chain = WHOLE_STATE;
      if (wanted(row.version)) out.push(asWholeState(row));
      continue;
    }
    if (at !== row.version - 1) {
      if (wanted(row.version))
        throw new BrokenChain(`version ${row.version} is a patch on version ${row.version - 1}, not stored`);
      at = -1;
      continue;
    }
    if (stateRow) {
      document = JSON.parse(decodePayload(stateRow));
      stateRow = null;
    }
    try {
      // Each version written out shares what its patch did not touch with the one before: a history of N versions
      // costs one whole state and N patches, not N copies (shared-json.ts).
      const operations = JSON.parse(decodePayload(row)) as fastJsonPatch.Operation[];
      for (const [index, operation] of operations.entries()) {
        document = copies.prepare(document, operation);
        document = applyOperation(document, operation, true, true, true, index).newDocument;
      }
    } catch (error) {
      throw new BrokenChain(`the patch of version ${row.version} does not apply to its base`, {
        cause: error,
      });
    }
    at = row.version;
    chain = { links: chain.links + 1, bytes: chain.bytes + row.payload.length };
    if (!wanted(row.version)) continue;
    const text = canonical(document);
    // What was written out is the version's (sharedCanonical remembers and freezes it): the next patch copies
    // what it changes again.
    copies = new CopyOnWrite();
    if (text.sha256 !== row.hash)
      throw new BrokenChain(`version ${row.version} does not rebuild into the state its hash names`);
    out.push({
      version: row.version,
      hash: row.hash,
      checkpoint: row.checkpoint,
      encoding: 'json',
      payload: text.text(),
      sizeBytes: row.sizeBytes,
      savedAt: row.savedAt,
      chain,
    });
  }
  return out;
}

/** The newest version of `rows` (ascending, from a whole state), rebuilt; null for no rows. */
export function rebuildLast(rows: readonly StoredVersion[]): StoredVersion | null {
  const last = rows.at(-1);
  if (!last) return null;
  const [rebuilt] = rebuildVersions(rows, (version) => version === last.version);
  return rebuilt ?? null;
}

/** A whole state as stored (no `chain`: absent means WHOLE_STATE). */
function asWholeState(row: StoredVersion): StoredVersion {
  if (row.format === undefined && row.baseHash === undefined && row.chain === undefined) return row;
  const { format: _format, baseHash: _baseHash, chain: _chain, ...rest } = row;
  return rest;
}
