/**
 * The agent workload, generated from a seed: every run's states step by step and the RFC 6902 patch from each
 * state to the next. Same seed, same bytes. States share structure (a step copies only what it changes) and are
 * frozen, so holding every state of every run costs about one final state per run, and no system under test
 * can alter the expected values it is checked against.
 */
import { createRng, type Rng } from '../../test/support/chaos/rng.ts';
import { createTextSource, type TextSource } from './text.ts';

export interface WorkloadShape {
  readonly seed: number;
  readonly runs: number;
  readonly steps: number;
}

export interface ChatMessage {
  readonly id: string;
  readonly role: 'user' | 'assistant' | 'tool';
  readonly content: string;
  /** Tool calls with JSON-encoded arguments, as chat APIs return them. */
  readonly tool_calls?: readonly { readonly id: string; readonly name: string; readonly arguments: string }[];
  readonly usage: { readonly input_tokens: number; readonly output_tokens: number };
}

export interface ToolResult {
  readonly call_id: string;
  readonly tool: string;
  readonly ok: boolean;
  readonly output: string;
}

export type ScratchValue = string | number | boolean;

/** The three parts of `data`; LangGraph stores each as a channel. */
export interface AgentData {
  readonly messages: readonly ChatMessage[];
  readonly scratch: Readonly<Record<string, ScratchValue>>;
  readonly tool_results: readonly ToolResult[];
}
export type Channel = keyof AgentData;

/** A Strata DeepAgentState. */
export interface AgentState {
  readonly agentName: string;
  readonly status: 'running';
  readonly step: number;
  readonly data: AgentData;
  readonly metadata: {
    readonly model: string;
    readonly inputTokens: number;
    readonly outputTokens: number;
    readonly costUsd: number;
  };
}

export interface PatchOp {
  readonly op: 'add' | 'replace';
  readonly path: string;
  readonly value: unknown;
}

export interface Step {
  /** 1-based; a Strata run's version after this step's save. */
  readonly step: number;
  readonly state: AgentState;
  /** From the previous state; step 1's is one `add` of the whole state at the root. */
  readonly patch: readonly PatchOp[];
  readonly changed: readonly Channel[];
}

export interface WorkloadRun {
  readonly runId: string;
  readonly steps: readonly Step[];
}

const TOOLS = ['web_search', 'read_file', 'run_sql', 'fetch_url', 'python', 'grep_repo'];
const MODELS = ['gpt-4.1', 'claude-sonnet-4', 'gemini-2.5-pro'];
const SCRATCH_KEYS = [
  'plan',
  'cursor',
  'attempt',
  'last_tool',
  'focus',
  'budget_left',
  'confidence',
  'todo_open',
];
const SCRATCH_EXTRA = ['query', 'branch', 'page', 'mode'];

export function generateWorkload(shape: WorkloadShape): WorkloadRun[] {
  const root = createRng(shape.seed);
  return Array.from({ length: shape.runs }, (_, index) => ({
    runId: `wl-${shape.seed}-${shape.steps}-${index}`,
    steps: generateRun(root.fork(index), index, shape.steps),
  }));
}

function generateRun(rng: Rng, index: number, steps: number): Step[] {
  const text = createTextSource(rng);
  const model = rng.pick(MODELS);
  const out: Step[] = [];
  let state: AgentState | null = null;
  let costMicros = 0;
  for (let step = 1; step <= steps; step++) {
    const previous: AgentData = state?.data ?? { messages: [], scratch: {}, tool_results: [] };
    const ops: PatchOp[] = [];
    const messages = [...previous.messages];
    for (let m = rng.int(1, 2); m > 0; m--) {
      const message = chatMessage(rng, text, messages.length);
      ops.push({ op: 'add', path: `/data/messages/${messages.length}`, value: message });
      messages.push(message);
    }
    const scratch = { ...previous.scratch };
    for (const key of pickDistinct(rng, [...SCRATCH_KEYS, ...SCRATCH_EXTRA], rng.int(2, 4))) {
      const value = scratchValue(rng, text, key);
      ops.push({ op: key in scratch ? 'replace' : 'add', path: `/data/scratch/${key}`, value });
      scratch[key] = value;
    }
    const changed: Channel[] = ['messages', 'scratch'];
    let toolResults = previous.tool_results;
    if (step % 5 === 0) {
      const result = freeze<ToolResult>({
        call_id: `call_${text.hex(24)}`,
        tool: rng.pick(TOOLS),
        ok: rng.next() < 0.9,
        output: text.prose(rng.int(2_000, 8_000)),
      });
      ops.push({ op: 'add', path: `/data/tool_results/${toolResults.length}`, value: result });
      toolResults = [...toolResults, result];
      changed.push('tool_results');
    } else if (step === 1) changed.push('tool_results');
    const usage = messages.slice(previous.messages.length).map((m) => m.usage);
    const inputTokens = (state?.metadata.inputTokens ?? 0) + sum(usage.map((u) => u.input_tokens));
    const outputTokens = (state?.metadata.outputTokens ?? 0) + sum(usage.map((u) => u.output_tokens));
    // Whole micro-dollars, so the sum is exact and round-trips through every store's JSON unchanged.
    costMicros += sum(usage.map((u) => u.input_tokens * 3 + u.output_tokens * 15));
    const next: AgentState = freeze({
      agentName: `agent-${index % 7}`,
      status: 'running',
      step,
      data: freeze({
        messages: freeze(messages),
        scratch: freeze(scratch),
        tool_results: freeze(toolResults),
      }),
      metadata: freeze({ model, inputTokens, outputTokens, costUsd: costMicros / 1e6 }),
    });
    if (state) {
      ops.push({ op: 'replace', path: '/step', value: step });
      ops.push({ op: 'replace', path: '/metadata/inputTokens', value: inputTokens });
      ops.push({ op: 'replace', path: '/metadata/outputTokens', value: outputTokens });
      ops.push({ op: 'replace', path: '/metadata/costUsd', value: next.metadata.costUsd });
    }
    out.push({ step, state: next, patch: state ? ops : [{ op: 'add', path: '', value: next }], changed });
    state = next;
  }
  return out;
}

function chatMessage(rng: Rng, text: TextSource, position: number): ChatMessage {
  const role = position % 2 === 0 ? 'user' : rng.next() < 0.8 ? 'assistant' : 'tool';
  const calls =
    role === 'assistant' && rng.next() < 0.5
      ? Array.from({ length: rng.int(1, 2) }, () =>
          freeze({
            id: `call_${text.hex(24)}`,
            name: rng.pick(TOOLS),
            arguments: JSON.stringify({ query: text.prose(rng.int(40, 120)), limit: rng.int(1, 50) }),
          }),
        )
      : null;
  return freeze({
    id: `msg_${text.hex(24)}`,
    role,
    content: text.prose(rng.int(200, 1_200)),
    ...(calls && { tool_calls: freeze(calls) }),
    usage: freeze({ input_tokens: rng.int(200, 4_000), output_tokens: rng.int(20, 800) }),
  });
}

function scratchValue(rng: Rng, text: TextSource, key: string): ScratchValue {
  if (key === 'confidence') return Math.round(rng.next() * 100) / 100;
  const kind = rng.int(0, 2);
  if (kind === 0) return rng.int(0, 10_000);
  if (kind === 1) return rng.next() < 0.5;
  return text.prose(rng.int(8, 40));
}

function pickDistinct(rng: Rng, items: readonly string[], count: number): string[] {
  const pool = [...items];
  return Array.from({ length: count }, () => pool.splice(rng.int(0, pool.length - 1), 1)[0]!);
}

const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);

/** Shallow freeze: every object the generator makes is frozen as it is made, so the whole tree ends frozen. */
function freeze<T>(value: T): T {
  return Object.freeze(value);
}
