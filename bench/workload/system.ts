/** What the workload driver needs of a system under test: Strata, LangGraph's PostgresSaver, the plain-pg floor. */
import type { AgentState, Step, WorkloadRun } from './generate.ts';

/** Bytes a system holds at one moment; the driver subtracts the counts taken before the writes. */
export interface ByteSnapshot {
  /** pg_total_relation_size of the system's tables: heap, TOAST, indexes, and dead tuples not vacuumed yet. */
  readonly diskBytes: number;
  /** Σ octet_length of every value in those tables (bytea raw, anything else as text): bytes before TOAST. */
  readonly logicalBytes: number;
  /** Redis MEMORY USAGE of the runs' keys, for a system with a hot tier. */
  readonly hotBytes?: number;
}

/** The processes serving a system, read at one moment (counters since they started). */
export interface ProcessProbe {
  /** Function process, ms of user + system CPU. */
  readonly functionMs: number;
  /** Bridges process (Upstash REST bridge, Neon proxy), same unit. */
  readonly bridgesMs: number;
  /** Lines the function logged at warn or above (tier timeouts, breakers): requests off the normal path. */
  readonly logged: number;
  readonly examples: readonly string[];
}

export interface WorkloadSystem {
  readonly name: string;
  /** One step of a run: store `step` (its state, or its patch from the previous one). */
  write(run: WorkloadRun, step: Step): Promise<void>;
  /** The run's latest state. */
  latest(runId: string): Promise<AgentState>;
  /** The run's newest `n` states, newest first. */
  history(runId: string, n: number): Promise<AgentState[]>;
  /** What the system stores now, in Postgres (and Redis). */
  bytes(): Promise<ByteSnapshot>;
  /** The processes serving the system, when they are separate from this one. */
  probe?(): Promise<ProcessProbe>;
  close(): Promise<void>;
}

/** The bench stops: a system answered something other than what the workload stored. */
export class WorkloadMismatch extends Error {
  override readonly name = 'WorkloadMismatch';
}

/** A system answered an error, or an answer that does not fit its API. */
export class SystemFailure extends Error {
  override readonly name = 'SystemFailure';
}
