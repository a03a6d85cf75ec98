# Secret Manager holds every credential the functions read (env.tf, secret_env). A secret's value comes from
# its data module when that module is enabled; otherwise an operator adds it once with
# `gcloud secrets versions add` (docs/operations.md) before the first apply of the functions.

locals {
  credentials = {
    "upstash-rest-token"  = "Upstash REST token of the hot tier (UPSTASH_REDIS_REST_TOKEN)."
    "database-url"        = "Postgres connection string of the durable tier (DATABASE_URL)."
    "clickhouse-password" = "Password of the archive's ClickHouse user (CLICKHOUSE_PASSWORD)."
  }

  # The secrets whose value an enabled data module produces; a disabled module's secret is filled by hand.
  # Derived from the flags only, so for_each never sees the (sensitive) values.
  managed_credential_names = toset(concat(
    var.enable_upstash ? ["upstash-rest-token"] : [],
    var.enable_neon ? ["database-url"] : [],
    var.enable_clickhouse ? ["clickhouse-password"] : [],
  ))
  managed_credentials = merge(
    var.enable_upstash ? { "upstash-rest-token" = module.upstash[0].rest_token } : {},
    var.enable_neon ? { "database-url" = module.neon[0].database_url } : {},
    var.enable_clickhouse ? { "clickhouse-password" = module.clickhouse[0].password } : {},
  )
}

resource "google_secret_manager_secret" "credential" {
  for_each  = local.credentials
  project   = var.project_id
  secret_id = "strata-${each.key}${local.name_suffix}"
  labels    = { purpose = "strata-credential" }

  annotations = { description = each.value }

  replication {
    auto {}
  }

  depends_on = [google_project_service.apis]
}

resource "google_secret_manager_secret_version" "managed" {
  for_each    = local.managed_credential_names
  secret      = google_secret_manager_secret.credential[each.value].id
  secret_data = local.managed_credentials[each.value]
}
