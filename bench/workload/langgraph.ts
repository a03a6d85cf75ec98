/**
 * Peer: LangGraph.js's PostgresSaver on the same Postgres (its own scratch database), used as a LangGraph graph
 * uses it: one `put` per step whose `newVersions` names only the channels the step changed (`messages`, `scratch`,
 * `tool_results`), so only those are stored as new blobs — each a whole copy of the channel's value. The rest of
 * the state (agent, step, token counts) rides in the checkpoint's metadata. Latest = `getTuple`; history = `list`.
 */
import {
  type ChannelVersions,
  type Checkpoint,
  type CheckpointMetadata,
  type CheckpointTuple,
  uuid6,
} from '@langchain/langgraph-checkpoint';
import { PostgresSaver } from '@langchain/langgraph-checkpoint-postgres';
import { createScratchDatabase } from '../../test/support/scratch-database.ts';
import type { AgentData, AgentState, Channel, Step, WorkloadRun } from './generate.ts';
import { pgBytes, quietPool } from './pg-bytes.ts';
import { SystemFailure, type WorkloadSystem } from './system.ts';

type StateMetadata = CheckpointMetadata<{
  agentName: string;
  status: AgentState['status'];
  usage: AgentState['metadata'];
}>;

interface Thread {
  checkpointId: string | undefined;
  versions: ChannelVersions;
}

export async function openLangGraph(inFlight: number): Promise<WorkloadSystem> {
  const database = await createScratchDatabase('bench_wl_langgraph');
  // What PostgresSaver.fromConnString builds (a pg Pool of the connection string), with the pool in our hands:
  // its size is the number of runs in flight, and an idle connection ended by the final DROP must not crash us.
  const pool = quietPool(database.url, inFlight);
  const saver = new PostgresSaver(pool);
  const sizes = quietPool(database.url, 1);
  try {
    await saver.setup();
  } catch (error) {
    await Promise.allSettled([saver.end(), sizes.end()]);
    await database.drop();
    throw error;
  }
  const threads = new Map<string, Thread>();

  return {
    name: 'LangGraph PostgresSaver',
    async write(run: WorkloadRun, step: Step) {
      const thread = threads.get(run.runId) ?? { checkpointId: undefined, versions: {} };
      const newVersions: ChannelVersions = {};
      for (const channel of step.changed) newVersions[channel] = step.step;
      const checkpoint: Checkpoint = {
        v: 4,
        id: uuid6(-1),
        ts: new Date().toISOString(),
        channel_values: { ...step.state.data },
        channel_versions: { ...thread.versions, ...newVersions },
        versions_seen: {},
      };
      const { agentName, status, metadata } = step.state;
      const meta: StateMetadata = {
        source: 'loop',
        step: step.step,
        parents: {},
        agentName,
        status,
        usage: metadata,
      };
      const config = {
        configurable: {
          thread_id: run.runId,
          checkpoint_ns: '',
          ...(thread.checkpointId && { checkpoint_id: thread.checkpointId }),
        },
      };
      await saver.put(config, checkpoint, meta, newVersions);
      threads.set(run.runId, { checkpointId: checkpoint.id, versions: checkpoint.channel_versions });
    },
    async latest(runId) {
      const tuple = await saver.getTuple({ configurable: { thread_id: runId, checkpoint_ns: '' } });
      if (!tuple) throw new SystemFailure(`LangGraph: no checkpoint for thread ${runId}`);
      return stateOf(tuple);
    },
    async history(runId, n) {
      const states: AgentState[] = [];
      for await (const tuple of saver.list({ configurable: { thread_id: runId } }, { limit: n })) {
        states.push(stateOf(tuple));
      }
      return states;
    },
    bytes: () => pgBytes(sizes),
    async close() {
      await Promise.allSettled([saver.end(), sizes.end()]);
      await database.drop();
    },
  };
}

const CHANNELS: readonly Channel[] = ['messages', 'scratch', 'tool_results'];

/** The Strata-shaped state a checkpoint stands for: channels are `data`, the rest is in the metadata. */
function stateOf(tuple: CheckpointTuple): AgentState {
  const values = tuple.checkpoint.channel_values;
  const meta = tuple.metadata as Partial<StateMetadata> | undefined;
  if (!meta?.agentName || !meta.usage || CHANNELS.some((channel) => !(channel in values))) {
    throw new SystemFailure(`LangGraph: checkpoint ${tuple.checkpoint.id} lacks a channel or its metadata`);
  }
  return {
    agentName: meta.agentName,
    status: meta.status ?? 'running',
    step: meta.step ?? -1,
    data: values as unknown as AgentData,
    metadata: meta.usage,
  };
}
