-- Cost and tokens per tenant, UTC day, agent and model. One daily grain answers every grouping the API
-- offers (agent, model, day) with sum() … GROUP BY, which is correct whether or not parts have merged.
--
-- The target needs its OWN deduplication window: with only the source's, a retried insert is dropped
-- from archived_runs but still pushed through the view and counted twice (verified on chDB 26.7; the
-- insert also sets deduplicate_blocks_in_dependent_materialized_views = 1).
-- Signed counters: a second view subtracts deleted runs (0003_deletion_ledger.sql).
CREATE TABLE IF NOT EXISTS costs_daily
(
    tenant_id     String,
    day           Date,
    agent_name    LowCardinality(String),
    -- '' for runs that named no model: a sorting key column cannot be Nullable.
    model         LowCardinality(String),
    runs          Int64,
    input_tokens  Int64,
    output_tokens Int64,
    cost_usd      Decimal(38, 9)
)
ENGINE = SummingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (tenant_id, day, agent_name, model)
SETTINGS non_replicated_deduplication_window = 10000
--> statement-breakpoint
-- Aggregates are computed under names of their own and renamed outside: `sum(x) AS x` is read as a nested
-- aggregate by servers running the old query analyzer.
CREATE MATERIALIZED VIEW IF NOT EXISTS costs_daily_mv TO costs_daily AS
SELECT
    tenant_id,
    d AS day,
    agent_name,
    m AS model,
    n AS runs,
    i AS input_tokens,
    o AS output_tokens,
    c AS cost_usd
FROM
(
    SELECT
        tenant_id,
        toDate(completed_at) AS d,
        agent_name,
        ifNull(model, '') AS m,
        toInt64(count()) AS n,
        toInt64(sum(input_tokens)) AS i,
        toInt64(sum(output_tokens)) AS o,
        toDecimal128(sum(cost_usd), 9) AS c
    FROM archived_runs
    GROUP BY tenant_id, d, agent_name, m
)
