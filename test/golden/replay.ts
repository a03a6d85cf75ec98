/** Replays a golden flow (a JSON list of API calls with expected answers) against a running Strata. */
import { expect } from 'vitest';
import type { StrataFixture } from '../support/strata.ts';

interface Expectation {
  status: number;
  version?: number;
  durability?: string;
  hash?: string;
  state?: unknown;
  error?: string;
  currentVersion?: number;
  versions?: number[];
  runs?: string[];
  runStatus?: string;
  durableVersion?: number;
}

type Step =
  | {
      do: 'save';
      run: string;
      body: unknown;
      headers?: Record<string, string>;
      idempotencyKey?: string;
      expect: Expectation;
    }
  | { do: 'load'; run: string; version?: number; expect: Expectation }
  | { do: 'checkpoints'; run: string; expect: Expectation }
  | { do: 'restore'; run: string; body: unknown; expect: Expectation }
  | { do: 'complete'; run: string; body: unknown; expect: Expectation }
  | { do: 'list'; query: Record<string, string>; expect: Expectation }
  | { do: 'delete'; run: string; expect: Expectation };

export interface GoldenFlow {
  name: string;
  plan: 'free' | 'early' | 'mid' | 'enterprise';
  steps: Step[];
}

/** Runs every step in order on a fresh tenant; returns how many steps ran. */
export async function replay(strata: StrataFixture, flow: GoldenFlow): Promise<number> {
  const { apiKey } = await strata.createTenant(flow.plan);
  let index = 0;
  for (const step of flow.steps) {
    index++;
    const label = `${flow.name} step ${index} (${step.do}${'run' in step ? ` ${step.run}` : ''})`;
    const res = await perform(strata, apiKey, step);
    const want = step.expect;
    expect(res.status, `${label}: ${JSON.stringify(res.body)}`).toBe(want.status);
    const body = res.body;
    if (want.version !== undefined) expect(body.version, label).toBe(want.version);
    if (want.durability !== undefined) expect(body.durability, label).toBe(want.durability);
    if (want.hash !== undefined) expect(body.hash, label).toBe(want.hash);
    if (want.state !== undefined) expect(body.state, label).toEqual(want.state);
    if (want.error !== undefined) expect(body.error, label).toBe(want.error);
    if (want.currentVersion !== undefined) expect(body.currentVersion, label).toBe(want.currentVersion);
    if (want.runStatus !== undefined) expect(body.status, label).toBe(want.runStatus);
    if (want.durableVersion !== undefined) expect(body.durableVersion, label).toBe(want.durableVersion);
    if (want.versions !== undefined) {
      expect(
        body.checkpoints.map((c: { version: number }) => c.version),
        label,
      ).toEqual(want.versions);
    }
    if (want.runs !== undefined) {
      expect(body.runs.map((r: { runId: string }) => r.runId).sort(), label).toEqual([...want.runs].sort());
    }
  }
  return index;
}

function perform(strata: StrataFixture, apiKey: string, step: Step) {
  switch (step.do) {
    case 'save':
      return strata.put(apiKey, step.run, step.body, {
        ...step.headers,
        ...(step.idempotencyKey && { 'idempotency-key': step.idempotencyKey }),
      });
    case 'load':
      return strata.get(
        apiKey,
        `/v1/runs/${step.run}/state${step.version ? `?version=${step.version}` : ''}`,
      );
    case 'checkpoints':
      return strata.get(apiKey, `/v1/runs/${step.run}/checkpoints`);
    case 'restore':
      return strata.post(apiKey, `/v1/runs/${step.run}/restore`, step.body);
    case 'complete':
      return strata.post(apiKey, `/v1/runs/${step.run}/complete`, step.body);
    case 'list':
      return strata.get(apiKey, `/v1/runs?${new URLSearchParams(step.query)}`);
    case 'delete':
      return strata.req('DELETE', apiKey, `/v1/runs/${step.run}`);
  }
}
