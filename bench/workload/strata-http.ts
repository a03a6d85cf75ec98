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
  /** The newest `limit` states, newest first, in one call (GET /v1/runs/{runId}/states). */
  states(runId: string, limit: number): Promise<Loaded[]>;
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
    async states(runId, limit) {
      const page = await call<{ states: { version: number; state: AgentState; durable: boolean }[] }>(
        'GET',
        `${run(runId)}/states?limit=${limit}`,
      );
      return page.states.map((s) => ({
        version: s.version,
        state: s.state,
        servedBy: s.durable ? 'durable' : 'hot',
      }));
    },
    async checkpointVersions(runId, limit) {
      const page = await call<{ checkpoints: { version: number }[] }>(
        'GET',
        `${run(runId)}/checkpoints?limit=${limit}`,
      );
      return page.checkpoints.map((entry) => entry.version);
    },
  };
}
