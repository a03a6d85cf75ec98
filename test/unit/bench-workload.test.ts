/** The workload bench's own parts: the seeded generator, and the driver's refusal of a state that differs. */
import { isDeepStrictEqual } from 'node:util';
import fastJsonPatch from 'fast-json-patch';
import { describe, expect, it } from 'vitest';
import { drive } from '../../bench/workload/drive.ts';
import { type AgentState, generateWorkload, type WorkloadRun } from '../../bench/workload/generate.ts';
import { WorkloadMismatch, type WorkloadSystem } from '../../bench/workload/system.ts';

const shape = { seed: 42, runs: 4, steps: 30 };

describe('workload generator', () => {
  it('writes the same bytes for the same seed, and other bytes for another', () => {
    const once = JSON.stringify(generateWorkload(shape));
    expect(JSON.stringify(generateWorkload(shape))).toBe(once);
    expect(JSON.stringify(generateWorkload({ ...shape, seed: 43 }))).not.toBe(once);
  });

  it('gives patches that turn each state into the next, as RFC 6902 says', () => {
    for (const run of generateWorkload(shape)) {
      let document: unknown = null;
      for (const step of run.steps) {
        const ops = structuredClone(step.patch) as fastJsonPatch.Operation[];
        document = fastJsonPatch.applyPatch(document, ops, true, true).newDocument;
        expect(isDeepStrictEqual(document, step.state), `${run.runId} step ${step.step}`).toBe(true);
      }
    }
  });

  it('grows an append-only chat state to about 75 KB in 30 steps', () => {
    const runs = generateWorkload({ ...shape, runs: 20 });
    const sizes = runs.map((run) => Buffer.byteLength(JSON.stringify(run.steps.at(-1)!.state)));
    const mean = sizes.reduce((a, b) => a + b, 0) / sizes.length;
    expect(mean).toBeGreaterThan(60_000);
    expect(mean).toBeLessThan(90_000);
    for (const run of runs) {
      const last = run.steps.at(-1)!.state.data;
      expect(last.tool_results).toHaveLength(6);
      expect(last.messages.length).toBeGreaterThanOrEqual(30);
      expect(last.messages.length).toBeLessThanOrEqual(60);
      // Append-only: every earlier message is still there, unchanged, in its place.
      run.steps.forEach((step) => {
        expect(step.state.data.messages).toEqual(last.messages.slice(0, step.state.data.messages.length));
      });
    }
  });

  it('names only the channels a step changed', () => {
    const [run] = generateWorkload(shape);
    for (const step of run!.steps.slice(1)) {
      const data = step.patch.filter((op) => op.path.startsWith('/data/'));
      const touched = new Set(data.map((op) => op.path.split('/')[2]));
      expect(new Set(step.changed)).toEqual(touched);
    }
  });

  it('freezes what it generates, so no system under test can alter the expected states', () => {
    const [run] = generateWorkload(shape);
    const state = run!.steps[3]!.state;
    expect(Object.isFrozen(state) && Object.isFrozen(state.data.messages[0])).toBe(true);
  });
});

/** A system that keeps what it is given in a Map, and can be told to lose one scratch key of one run. */
function mapSystem(corrupt?: string): WorkloadSystem {
  const stored = new Map<string, AgentState[]>();
  const read = (runId: string, state: AgentState): AgentState =>
    runId === corrupt ? { ...state, data: { ...state.data, scratch: {} } } : state;
  return {
    name: 'map',
    async write(run, step) {
      stored.set(run.runId, [...(stored.get(run.runId) ?? []), step.state]);
    },
    async latest(runId) {
      return read(runId, stored.get(runId)!.at(-1)!);
    },
    async history(runId, n) {
      return stored
        .get(runId)!
        .slice(-n)
        .reverse()
        .map((state) => read(runId, state));
    },
    bytes: async () => ({ diskBytes: 0, logicalBytes: 0 }),
    close: async () => {},
  };
}

describe('workload driver', () => {
  const runs: WorkloadRun[] = generateWorkload({ seed: 7, runs: 3, steps: 6 });
  const aloneRuns = generateWorkload({ seed: 8, runs: 2, steps: 4 });
  const options = { inFlight: 2, latestAlone: 3, historyRuns: 2, historyDepth: 5, aloneRuns };

  it('counts every state it read back and checked', async () => {
    const figures = await drive(mapSystem(), runs, [], options);
    expect(figures.write.n).toBe(18);
    expect(figures.writeAlone.n).toBe(8);
    expect(figures.verified).toBe(3 + 3 + 2 * 5 + 2);
  });

  it('checks the runs written alone too', async () => {
    await expect(drive(mapSystem(aloneRuns[0]!.runId), runs, [], options)).rejects.toThrow(WorkloadMismatch);
  });

  it('stops loudly when a system answers a state other than the one written', async () => {
    await expect(drive(mapSystem(runs[1]!.runId), runs, [], options)).rejects.toThrow(WorkloadMismatch);
  });
});
