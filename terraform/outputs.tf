# What an operator needs after an apply: where state-api answers, which bundle was built, who calls what.

output "state_api_url" {
  description = "Base URL of state-api: the load balancer's https://api_domain when set, else the function URL."
  value       = local.frontend_enabled ? "https://${var.api_domain}" : module.state_api["stable"].url
}

output "state_api_function_urls" {
  description = "Function URL of each state-api release (stable, canary); closed to the internet behind the load balancer."
  value       = { for key, m in module.state_api : key => m.url }
}

output "api_address" {
  description = "IP address to point api_domain's DNS A record at (\"\" without a load balancer)."
  value       = local.frontend_enabled ? google_compute_global_address.state_api[0].address : ""
}

output "bundle_object" {
  description = "The bundle this apply built from bundle_dir: pass it as release or canary_release later."
  value       = google_storage_bucket_object.bundle.name
}

output "release_object" {
  description = "The bundle the stable release runs."
  value       = local.release_object
}

output "traffic_split" {
  description = "Share of state-api requests per release."
  value       = local.frontend_enabled ? local.backend_weights : { stable = 100 }
}

output "scheduled_function_urls" {
  description = "URL (and OIDC audience) of each scheduled function."
  value       = { for name, m in module.scheduled : name => m.url }
}

output "fallback_bucket" {
  description = "The GCS fallback spool (STRATA_FALLBACK_BUCKET)."
  value       = google_storage_bucket.fallback.name
}

output "service_accounts" {
  description = "E-mail of each service account."
  value = {
    state_api = google_service_account.state_api.email
    jobs      = google_service_account.jobs.email
    scheduler = google_service_account.scheduler.email
  }
}

output "secret_ids" {
  description = "Secret Manager secret of each credential; add a version by hand for a disabled data module."
  value       = { for key, s in google_secret_manager_secret.credential : key => s.secret_id }
}

output "config_defaults" {
  description = "Configuration variables deliberately left at their code defaults in the cloud, with why."
  value       = local.config_defaults
}

output "function_names" {
  description = "Every deployed function."
  value       = local.function_names
}

output "upstash_rest_url" {
  description = "UPSTASH_REDIS_REST_URL of the hot tier (for the CLI: npm run strata -- check)."
  value       = local.upstash_rest_url
}

output "clickhouse_url" {
  description = "CLICKHOUSE_URL of the archive (for npm run db:migrate)."
  value       = local.clickhouse_url
}
