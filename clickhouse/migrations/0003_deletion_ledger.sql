-- A materialized view sees inserts only: deleting archived runs would leave their cost in costs_daily
-- forever. So a delete first records each removed run row here, and this table's own view subtracts it
-- from costs_daily; only then are the rows deleted (lib/tiers/archive/erase.ts).
--
-- Keyed by (tenant, run, batch): a delete that is retried, or another delete reaching the same row, finds
-- the row already recorded and does not subtract it twice. No user id is kept: erasure leaves a count of
-- removed runs and their anonymous cost, which is what the aggregates already held.
CREATE TABLE IF NOT EXISTS archived_run_deletions
(
    tenant_id     String,
    run_id        String,
    batch_id      String,
    deleted_at    DateTime64(3, 'UTC'),
    day           Date,
    agent_name    LowCardinality(String),
    model         LowCardinality(String),
    input_tokens  UInt64,
    output_tokens UInt64,
    cost_usd      Decimal(38, 9)
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(deleted_at)
ORDER BY (tenant_id, run_id, batch_id)
SETTINGS non_replicated_deduplication_window = 10000
--> statement-breakpoint
-- Signed like costs_daily_mv's rows, negated; named apart and renamed outside for the same reason.
CREATE MATERIALIZED VIEW IF NOT EXISTS costs_daily_deletions_mv TO costs_daily AS
SELECT
    tenant_id,
    day,
    agent_name,
    model,
    -n AS runs,
    -i AS input_tokens,
    -o AS output_tokens,
    -c AS cost_usd
FROM
(
    SELECT
        tenant_id,
        day,
        agent_name,
        model,
        toInt64(count()) AS n,
        toInt64(sum(input_tokens)) AS i,
        toInt64(sum(output_tokens)) AS o,
        toDecimal128(sum(cost_usd), 9) AS c
    FROM archived_run_deletions
    GROUP BY tenant_id, day, agent_name, model
)
