# Provider configuration. Credentials never live in this directory: Google from Application Default
# Credentials, Neon from NEON_API_KEY, ClickHouse Cloud from CLICKHOUSE_ORG_ID / CLICKHOUSE_TOKEN_KEY /
# CLICKHOUSE_TOKEN_SECRET, Upstash from TF_VAR_upstash_email / TF_VAR_upstash_api_key (docs/operations.md).

provider "google" {
  project = var.project_id
  region  = var.region
  default_labels = {
    app         = "strata"
    environment = var.environment
  }
}

provider "upstash" {
  email   = var.upstash_email
  api_key = var.upstash_api_key
}

provider "neon" {}

provider "clickhouse" {}
