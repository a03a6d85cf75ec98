/**
 * The newest `n` states of a Strata run, newest first — the one place that knows how a client gets them: one call
 * to GET /v1/runs/{runId}/states (it was the checkpoint listing plus one load per version before that existed).
 */
import type { Loaded, StrataHttp } from './strata-http.ts';
import { SystemFailure } from './system.ts';

export async function historyStates(http: StrataHttp, runId: string, n: number): Promise<Loaded[]> {
  const states = await http.states(runId, n);
  states.forEach((answer, i) => {
    const expected = (states[0]?.version ?? 0) - i;
    if (answer.version !== expected) {
      throw new SystemFailure(`Strata: the states of ${runId} skip from ${expected} to ${answer.version}`);
    }
  });
  return states;
}
