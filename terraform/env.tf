# The environment of every function, in one place. Every variable lib/config.ts reads (its EnvSchema) is either
# set below for every function or listed in config_defaults with the reason its default is right in the cloud;
# test/terraform/terraform.test.ts fails when one is neither.

locals {
  upstash_rest_url = var.enable_upstash ? module.upstash[0].rest_url : var.upstash_rest_url
  clickhouse_url   = var.enable_clickhouse ? module.clickhouse[0].https_url : var.clickhouse_url

  # Every function.
  env_common = {
    STRATA_HOT             = "upstash"
    UPSTASH_REDIS_REST_URL = local.upstash_rest_url
    STRATA_DURABLE         = "neon"
    STRATA_ARCHIVE         = "clickhouse"
    CLICKHOUSE_URL         = local.clickhouse_url
    CLICKHOUSE_USER        = "default"
    CLICKHOUSE_DATABASE    = var.clickhouse_database
    STRATA_FALLBACK        = "gcs"
    STRATA_FALLBACK_BUCKET = google_storage_bucket.fallback.name
    STRATA_METRICS         = "log"
    STRATA_LOG_LEVEL       = var.log_level
    # The only writable place of a function instance (memory, gone with it); nothing durable goes there.
    STRATA_DATA_DIR = "/tmp/strata"
  }

  # state-api only: nothing beyond the common set.
  env_state_api = {}

  # Scheduled functions: who may trigger them. Each one's OIDC audience, its own URL, is set by
  # modules/scheduled-function (STRATA_SCHEDULER_AUDIENCE).
  env_scheduled = {
    STRATA_SCHEDULER_EMAILS = google_service_account.scheduler.email
  }

  # Credentials, from Secret Manager (secrets.tf), for every function.
  secret_env = {
    UPSTASH_REDIS_REST_TOKEN = google_secret_manager_secret.credential["upstash-rest-token"].secret_id
    DATABASE_URL             = google_secret_manager_secret.credential["database-url"].secret_id
    CLICKHOUSE_PASSWORD      = google_secret_manager_secret.credential["clickhouse-password"].secret_id
  }

  # The deliberate defaults: variables left unset in the cloud, each with why its default is right.
  # var.extra_environment overrides the STRATA_* tunables among them.
  config_defaults = {
    PORT                           = "Cloud Run sets PORT for functions-framework; config's PORT is npm start's."
    NEON_LOCAL_PROXY               = "Local Neon bridge only (infra/neon-proxy); production talks to Neon directly."
    STRATA_FALLBACK_DIR            = "The fallback is a GCS bucket (STRATA_FALLBACK=gcs); an instance's disk is memory."
    STRATA_GCS_ENDPOINT            = "Local GCS emulator only; in the cloud the client talks to storage.googleapis.com."
    STRATA_FALLBACK_PREFIX         = "Code default (spool/) names the spool inside the bucket Terraform creates for it alone."
    STRATA_SCHEDULER_AUDIENCE      = "state-api serves no scheduler call: unset, it refuses them all (set per scheduled function)."
    STRATA_SCHEDULER_EMAILS        = "state-api serves no scheduler call: unset, it refuses them all (set for scheduled functions)."
    STRATA_SCHEDULER_JWKS_URL      = "Tests only; the default is Google's published keys."
    STRATA_SCHEDULER_ISSUERS       = "Tests only; the default is Google's issuers."
    STRATA_HOT_TIMEOUT_MS          = "Code default (500 ms) is the production value."
    STRATA_DURABLE_TIMEOUT_MS      = "Code default (3000 ms) is the production value."
    STRATA_ARCHIVE_TIMEOUT_MS      = "Code default (10 s) is the production value."
    STRATA_SNAPSHOT_MAX_LINKS      = "Code default (1024 patches) is a backstop; the chain's bytes cut it (lib/service/deltas.ts)."
    STRATA_SNAPSHOT_CHAIN_PERCENT  = "Code default (100%: a chain never outweighs its state) bounds bytes per load."
    STRATA_MAX_BODY_BYTES          = "Code default (1 MiB) is the API's documented limit."
    STRATA_MAX_STATE_BYTES         = "Code default (1 MiB) is the API's documented limit."
    STRATA_MAX_DEPTH               = "Code default (64) is the API's documented limit."
    STRATA_COMPRESS_ABOVE_BYTES    = "Code default (8192) is the production value."
    STRATA_EPHEMERAL_PATHS         = "None by default; a deployment that wants some sets it in extra_environment."
    STRATA_IDEMPOTENCY_TTL_SECONDS = "Code default (1 day) is the documented receipt lifetime."
    STRATA_ARCHIVE_BATCH_SIZE      = "Code default (1000 runs) is sized for the 540 s function timeout."
    STRATA_ARCHIVE_LEASE_SECONDS   = "Code default (300 s) is below the function timeout."
    STRATA_HOT_RETENTION_SECONDS   = "Code default (1 h) is the documented retention."
    STRATA_DURABLE_RETENTION_DAYS  = "Code default (30 days) is the documented retention."
    STRATA_ABANDON_AFTER_HOURS     = "Code default (7 days) is the documented retention."
  }
}
