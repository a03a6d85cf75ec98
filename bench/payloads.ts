/** Agent states of a given size, shaped like real ones (a message log with metadata), for the benchmarks. */
import type { DeepAgentState } from '../lib/model/state.ts';

export function agentState(targetBytes: number, step = 1): DeepAgentState {
  const messages: Array<{ role: string; content: string; tokens: number }> = [];
  const state: DeepAgentState = {
    agentName: 'bench-agent',
    status: 'running',
    step,
    data: { goal: 'answer the question with sources', messages },
    metadata: { model: 'gpt-4o', inputTokens: 1000, outputTokens: 200, costUsd: 0.01 },
  };
  let i = 0;
  while (JSON.stringify(state).length < targetBytes) {
    messages.push({
      role: i % 2 ? 'assistant' : 'user',
      content: `step ${i}: ${'the agent considered the evidence and wrote a note. '.repeat(1 + (i % 3))}`,
      tokens: 40 + (i % 17),
    });
    i++;
  }
  return state;
}
