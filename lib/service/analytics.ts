/** Cost and token analytics of the caller's tenant, from the archive's daily views. */
import { TierUnavailable } from '../errors.ts';
import type { CostGroupBy, CostRow } from '../tiers/archive/port.ts';
import type { Caller, ServiceDeps } from './deps.ts';

export interface CostReport {
  readonly from: string;
  readonly to: string;
  readonly groupBy: CostGroupBy;
  readonly rows: readonly CostRow[];
  readonly totals: {
    readonly runs: number;
    readonly inputTokens: number;
    readonly outputTokens: number;
    readonly costUsd: number;
  };
}

export async function costAnalytics(
  deps: ServiceDeps,
  caller: Caller,
  input: { readonly from: number; readonly to: number; readonly groupBy: CostGroupBy },
): Promise<CostReport> {
  if (!deps.archive) throw new TierUnavailable('archive', 'no archive is configured for cost analytics');
  const rows = await deps.archive.costs(caller.tenant.id, input);
  const totals = rows.reduce(
    (sum, row) => ({
      runs: sum.runs + row.runs,
      inputTokens: sum.inputTokens + row.inputTokens,
      outputTokens: sum.outputTokens + row.outputTokens,
      costUsd: sum.costUsd + row.costUsd,
    }),
    { runs: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 },
  );
  // Sums of nano-dollar amounts, rounded back to 9 decimals so float addition adds no noise.
  const rounded = { ...totals, costUsd: Math.round(totals.costUsd * 1e9) / 1e9 };
  return {
    from: new Date(input.from).toISOString(),
    to: new Date(input.to).toISOString(),
    groupBy: input.groupBy,
    rows,
    totals: rounded,
  };
}
