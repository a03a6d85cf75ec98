/** GOLDEN_SIMPLE_FLOW and GOLDEN_MULTI_AGENT_FLOW replayed end to end on the real engines. */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StrataFixture, startStrata } from '../support/strata.ts';
import { type GoldenFlow, replay } from './replay.ts';

const load = (file: string) => JSON.parse(readFileSync(new URL(file, import.meta.url), 'utf8')) as GoldenFlow;
const GOLDEN_SIMPLE_FLOW = load('./simple-flow.json');
const GOLDEN_MULTI_AGENT_FLOW = load('./multi-agent-flow.json');

let strata: StrataFixture;
beforeAll(async () => {
  strata = await startStrata();
});
afterAll(async () => strata?.close());

describe('golden flows', () => {
  it('GOLDEN_SIMPLE_FLOW', async () => {
    expect(await replay(strata, GOLDEN_SIMPLE_FLOW)).toBe(GOLDEN_SIMPLE_FLOW.steps.length);
  });

  it('GOLDEN_MULTI_AGENT_FLOW', async () => {
    expect(await replay(strata, GOLDEN_MULTI_AGENT_FLOW)).toBe(GOLDEN_MULTI_AGENT_FLOW.steps.length);
  });
});
