/**
 * The bench's client of Strata's HTTP API v1: what an agent sends and reads, and nothing else. It plays the
 * agents, which run elsewhere in production but share this machine's cores with Strata here: it uses undici's
 * `request` (keep-alive), the leanest Node client, so that as little as possible of the driver's own CPU is
 * counted against Strata's latency (the global fetch cost ~0.3 ms more per request).
 */
import { Agent, request } from 'undici';
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

const agent = new Agent();

export function createStrataHttp(baseUrl: string, apiKey: string): StrataHttp {
  const headers = { Authorization: `Bearer ${apiKey}` };
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const reply = await request(`${baseUrl}${path}`, {
      method: method as 'GET',
      headers: body === undefined ? headers : { ...headers, 'Content-Type': 'application/json' },
      body: body === undefined ? null : JSON.stringify(body),
      dispatcher: agent,
    });
    const text = await reply.body.text();
    if (reply.statusCode !== 200) {
      throw new SystemFailure(`Strata ${method} ${path} answered ${reply.statusCode}: ${text.slice(0, 300)}`);
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
