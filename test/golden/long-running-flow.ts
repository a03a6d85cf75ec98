/**
 * GOLDEN_LONG_RUNNING_FLOW: a 24-hour multi-agent lifecycle on a controllable clock. An orchestrator and three
 * workers save every 10 (virtual) minutes; the orchestrator's hot copy expires for real mid-way (a 1 s TTL and a
 * real pause), the workers finish at hours 8, 16 and 24 with known costs, the archiver and retention run on
 * their schedules, and at the end every version must load with the hash it was acknowledged with.
 */
export const HOUR = 3_600_000;
export const STEP_MS = 10 * 60_000;

export interface FlowAgent {
  readonly runId: string;
  readonly agentName: string;
  readonly parentRunId?: string;
  /** Virtual hour at which the agent completes. */
  readonly finishesAt: number;
  readonly model: string;
  readonly costPerStepUsd: number;
  readonly tokensPerStep: number;
}

export const GOLDEN_LONG_RUNNING_FLOW = {
  name: 'GOLDEN_LONG_RUNNING_FLOW',
  plan: 'enterprise' as const,
  hours: 24,
  /** The hour at which the orchestrator's hot copy is made to expire for real. */
  hotExpiryAtHour: 12,
  agents: [
    {
      runId: 'long-orchestrator',
      agentName: 'orchestrator',
      finishesAt: 24,
      model: 'model-large',
      costPerStepUsd: 0.0021,
      tokensPerStep: 900,
    },
    {
      runId: 'long-researcher',
      agentName: 'researcher',
      parentRunId: 'long-orchestrator',
      finishesAt: 8,
      model: 'model-small',
      costPerStepUsd: 0.0004,
      tokensPerStep: 300,
    },
    {
      runId: 'long-coder',
      agentName: 'coder',
      parentRunId: 'long-orchestrator',
      finishesAt: 16,
      model: 'model-large',
      costPerStepUsd: 0.0019,
      tokensPerStep: 1200,
    },
    {
      runId: 'long-reviewer',
      agentName: 'reviewer',
      parentRunId: 'long-orchestrator',
      finishesAt: 24,
      model: 'model-small',
      costPerStepUsd: 0.0003,
      tokensPerStep: 200,
    },
  ] satisfies FlowAgent[],
};

/** The state an agent saves at `step`: deterministic, growing, with a cost so far. */
export function stateAt(agent: FlowAgent, step: number) {
  return {
    agentName: agent.agentName,
    ...(agent.parentRunId && { parentRunId: agent.parentRunId }),
    threadId: 'thread-long',
    status: 'running' as const,
    step,
    data: {
      notes: Array.from({ length: Math.min(step, 20) }, (_, i) => `${agent.agentName} note ${step - i}`),
      progress: Math.round((step / (agent.finishesAt * 6)) * 1000) / 1000,
    },
    metadata: {
      model: agent.model,
      inputTokens: step * agent.tokensPerStep,
      outputTokens: step * Math.round(agent.tokensPerStep / 4),
      costUsd: Math.round(step * agent.costPerStepUsd * 1e9) / 1e9,
      tags: ['golden', 'long-running'],
    },
  };
}
