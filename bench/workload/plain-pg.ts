/**
 * The floor: plain `pg` on the same Postgres, one jsonb INSERT of the step's delta (its RFC 6902 patch) per step.
 * A latest state is every delta of the run fetched and applied; so is a history. Nothing is hashed, compressed,
 * versioned or cached — what any persistence of this workload costs at least.
 */
import fastJsonPatch from 'fast-json-patch';
import { createScratchDatabase } from '../../test/support/scratch-database.ts';
import type { AgentState, PatchOp, Step, WorkloadRun } from './generate.ts';
import { pgBytes, quietPool } from './pg-bytes.ts';
import { SystemFailure, type WorkloadSystem } from './system.ts';

export async function openPlainPg(inFlight: number): Promise<WorkloadSystem> {
  const database = await createScratchDatabase('bench_wl_pg');
  const pool = quietPool(database.url, inFlight);
  try {
    await pool.query(
      'CREATE TABLE deltas (run_id text NOT NULL, step integer NOT NULL, delta jsonb NOT NULL, PRIMARY KEY (run_id, step))',
    );
  } catch (error) {
    await pool.end();
    await database.drop();
    throw error;
  }

  /** Every state of the run from the oldest delta on; those of the newest `keep` steps are returned, newest first. */
  const replay = async (runId: string, keep: number): Promise<AgentState[]> => {
    const { rows } = await pool.query<{ delta: PatchOp[] }>(
      'SELECT delta FROM deltas WHERE run_id = $1 ORDER BY step',
      [runId],
    );
    if (rows.length === 0) throw new SystemFailure(`plain pg: run ${runId} has no deltas`);
    let document: unknown = null;
    const kept: unknown[] = [];
    rows.forEach(({ delta }, index) => {
      // The rows are freshly parsed, so the patch may be applied in place (no clone of the growing document).
      document = fastJsonPatch.applyPatch(
        document,
        delta as fastJsonPatch.Operation[],
        false,
        true,
      ).newDocument;
      if (index >= rows.length - keep)
        kept.unshift(index === rows.length - 1 ? document : structuredClone(document));
    });
    return kept as AgentState[];
  };

  return {
    name: 'plain pg (jsonb delta)',
    async write(run: WorkloadRun, step: Step) {
      await pool.query('INSERT INTO deltas (run_id, step, delta) VALUES ($1, $2, $3)', [
        run.runId,
        step.step,
        JSON.stringify(step.patch),
      ]);
    },
    async latest(runId) {
      const [state] = await replay(runId, 1);
      return state!;
    },
    history: (runId, n) => replay(runId, n),
    bytes: () => pgBytes(pool),
    async close() {
      await pool.end();
      await database.drop();
    },
  };
}
