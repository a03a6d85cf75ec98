-- Completed runs and their checkpoints. One statement per request: a real server refuses several, so
-- statements are separated by the marker line below (lib/tiers/archive/migrate.ts splits on it).
--
-- Plain MergeTree, not Replacing: exactly-once comes from insert deduplication tokens, and a duplicate
-- that slipped past them must stay visible to count() rather than vanish at some later merge.
-- `non_replicated_deduplication_window` turns that deduplication on (it is 0, off, for non-replicated
-- tables by default); it counts the most recent insert blocks remembered per table.
CREATE TABLE IF NOT EXISTS archived_runs
(
    tenant_id     String,
    run_id        String,
    -- The batch that archived the row: a run archived again by another batch is recognised and skipped.
    batch_id      String,
    agent_name    LowCardinality(String),
    parent_run_id Nullable(String),
    thread_id     Nullable(String),
    user_id       Nullable(String),
    status        Enum8('completed' = 1, 'failed' = 2),
    model         LowCardinality(Nullable(String)),
    input_tokens  UInt64,
    output_tokens UInt64,
    -- Exact nano-dollars: sums of Float64 would drift, and deletes subtract what was added.
    cost_usd      Decimal(38, 9),
    created_at    DateTime64(3, 'UTC'),
    completed_at  DateTime64(3, 'UTC'),
    archived_at   DateTime64(3, 'UTC'),
    head_version  UInt64,
    head_hash     String,
    retain_until  DateTime64(3, 'UTC'),
    -- Erasure finds a user's runs without reading every run of the tenant.
    INDEX user_idx user_id TYPE bloom_filter GRANULARITY 4
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(completed_at)
ORDER BY (tenant_id, run_id)
TTL toDateTime(retain_until) DELETE
SETTINGS non_replicated_deduplication_window = 10000
--> statement-breakpoint
-- The payload is the DEcompressed canonical JSON: ZSTD over a column of similar documents (consecutive
-- versions of a run sit next to each other in the sort order) compresses far better than per-row gzip,
-- whose base64 output is incompressible.
CREATE TABLE IF NOT EXISTS archived_checkpoints
(
    tenant_id    String,
    run_id       String,
    batch_id     String,
    version      UInt64,
    hash         String,
    checkpoint   Enum8('AUTO' = 1, 'CRITICAL' = 2, 'FULL' = 3),
    size_bytes   UInt64,
    saved_at     DateTime64(3, 'UTC'),
    retain_until DateTime64(3, 'UTC'),
    payload      String CODEC(ZSTD(3))
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(saved_at)
ORDER BY (tenant_id, run_id, version)
TTL toDateTime(retain_until) DELETE
-- Reads are point lookups of one version: granules of at most 1 MiB keep one read from decompressing
-- megabytes of neighbouring payloads.
SETTINGS non_replicated_deduplication_window = 10000, index_granularity_bytes = 1048576
