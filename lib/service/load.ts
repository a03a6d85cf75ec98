/** Loading the latest state of a run, or one of its versions, through the failover chain. */
import { NotFound } from '../errors.ts';
import { WHOLE_STATE } from '../tiers/chain.ts';
import type { RunKey } from '../tiers/types.ts';
import type { Caller, ServiceDeps } from './deps.ts';
import { headOfJson } from './instance-state.ts';
import { readHead, readVersion, type ServedBy } from './read-path.ts';
import { stateJsonOf } from './versions.ts';

export interface LoadedState {
  readonly runId: string;
  readonly version: number;
  readonly hash: string;
  readonly checkpoint: string;
  readonly savedAt: number;
  /** Canonical JSON of the state, as stored: the HTTP layer embeds it without parsing it again. */
  readonly stateJson: string;
  readonly servedBy: ServedBy;
}

export async function loadState(
  deps: ServiceDeps,
  caller: Caller,
  input: { readonly runId: string; readonly version?: number },
): Promise<LoadedState> {
  const key: RunKey = { tenantId: caller.tenant.id, runId: input.runId };
  const found =
    input.version === undefined
      ? await readHead(deps, caller, key)
      : await readVersion(deps, key, input.version);
  if (!found) {
    const what =
      input.version === undefined
        ? `run "${input.runId}"`
        : `version ${input.version} of run "${input.runId}"`;
    throw new NotFound(`${what} was not found`);
  }
  const { record, servedBy } = found;
  const stateJson = stateJsonOf(record);
  // The head an agent resumes from is the base of its next patch: this instance then needs no read of it.
  if (input.version === undefined)
    deps.instance.rememberHead(
      key,
      headOfJson(
        { version: record.version, hash: record.hash, chain: record.chain ?? WHOLE_STATE },
        stateJson,
      ),
    );
  return {
    runId: input.runId,
    version: record.version,
    hash: record.hash,
    checkpoint: record.checkpoint,
    savedAt: record.savedAt,
    stateJson,
    servedBy,
  };
}
