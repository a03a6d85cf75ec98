/** The bench's client of Strata's HTTP API v1: what an agent sends and reads, and nothing else. */
import type { AgentState, PatchOp } from './generate.ts';
import { SystemFailure } from './system.ts';

export type SaveBody =
  | { readonly checkpoint: 'CRITICAL'; readonly expectedVersion: 0; readonly state: AgentState }
  | { readonly checkpoint: 'CRITICAL'; readonly baseVersion: number; readonly patch: readonly PatchOp[] };

export interface SaveAnswer {
  readonly version: number;
  readonly durability: 'hot' | 'durable' | 'spooled';
}

export interface Loaded {
  readonly version: number;
  readonly state: AgentState;
  readonly servedBy: string;
}

export interface StrataHttp {
  save(runId: string, body: SaveBody): Promise<SaveAnswer>;
  load(runId: string, version?: number): Promise<Loaded>;
  /** Versions of the newest `limit` checkpoints, newest first. */
  checkpointVersions(runId: string, limit: number): Promise<number[]>;
}

export function createStrataHttp(baseUrl: string, apiKey: string): StrataHttp {
  const headers = { Authorization: `Bearer ${apiKey}` };
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: body === undefined ? headers : { ...headers, 'Content-Type': 'application/json' },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (response.status !== 200) {
      throw new SystemFailure(`Strata ${method} ${path} answered ${response.status}: ${text.slice(0, 300)}`);
    }
    return JSON.parse(text) as T;
  };
  const run = (runId: string) => `/v1/runs/${encodeURIComponent(runId)}`;
  return {
    save: (runId, body) => call<SaveAnswer>('PUT', `${run(runId)}/state`, body),
    load: (runId, version) =>
      call<Loaded>('GET', `${run(runId)}/state${version === undefined ? '' : `?version=${version}`}`),
    async checkpointVersions(runId, limit) {
      const page = await call<{ checkpoints: { version: number }[] }>(
        'GET',
        `${run(runId)}/checkpoints?limit=${limit}`,
      );
      return page.checkpoints.map((entry) => entry.version);
    },
  };
}
