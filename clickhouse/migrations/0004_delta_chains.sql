-- Delta chains (lib/tiers/chain.ts): a checkpoint's payload is the whole state ('state') or the RFC 6902 patch
-- from the version before it ('patch'). Rows archived before chains are whole states, which the default makes
-- them. The archive keeps the chain as Postgres had it: what a restore needs is any version, rebuilt from the
-- nearest whole state (bounded by the snapshot policy); what analytics needs lives in archived_runs.
ALTER TABLE archived_checkpoints ADD COLUMN IF NOT EXISTS format LowCardinality(String) DEFAULT 'state' AFTER checkpoint
