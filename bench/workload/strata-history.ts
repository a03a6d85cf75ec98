/**
 * The newest `n` states of a Strata run, newest first — the one place that knows how a client gets them today:
 * the checkpoint listing, then every version loaded (all at once, as a client in a hurry would). When a
 * one-call history API exists, switching this function switches the bench.
 */
import type { Loaded, StrataHttp } from './strata-http.ts';
import { SystemFailure } from './system.ts';

export async function historyStates(http: StrataHttp, runId: string, n: number): Promise<Loaded[]> {
  const versions = await http.checkpointVersions(runId, n);
  const loaded = await Promise.all(versions.map((version) => http.load(runId, version)));
  loaded.forEach((answer, i) => {
    if (answer.version !== versions[i]) {
      throw new SystemFailure(`Strata: asked for version ${versions[i]} of ${runId}, got ${answer.version}`);
    }
  });
  return loaded;
}
