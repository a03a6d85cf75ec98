# Strata's functions: state-api (public, API keys; a canary copy while canary_release is set) and one scheduled
# function per entry of var.schedules, all gen2 Cloud Functions (nodejs22) built from the same bundle; the data
# services when enabled; the monitoring module.

locals {
  name_suffix = var.environment == "prod" ? "" : "-${var.environment}"

  # A release is a bundle object in the source bucket; "built" is the one this apply uploads (bundle.tf).
  release_object = var.release == "built" ? google_storage_bucket_object.bundle.name : var.release
  canary_object  = var.canary_release == "built" ? google_storage_bucket_object.bundle.name : var.canary_release

  # state-api runs as the stable release and, while a canary runs, as a second function of the canary release;
  # the load balancer (frontend.tf) splits requests between the two by canary_percent.
  state_api_releases = merge(
    { stable = { function_name = "state-api${local.name_suffix}", object = local.release_object } },
    var.canary_release == "" ? {} : { canary = { function_name = "state-api-canary${local.name_suffix}", object = local.canary_object } },
  )

  scheduled_function_names = [for name, _ in var.schedules : "${name}${local.name_suffix}"]
  function_names           = concat([for _, r in local.state_api_releases : r.function_name], local.scheduled_function_names)
}

resource "google_project_service" "apis" {
  for_each = toset([
    "artifactregistry.googleapis.com",
    "cloudbuild.googleapis.com",
    "cloudfunctions.googleapis.com",
    "cloudscheduler.googleapis.com",
    "compute.googleapis.com",
    "iam.googleapis.com",
    "logging.googleapis.com",
    "monitoring.googleapis.com",
    "run.googleapis.com",
    "secretmanager.googleapis.com",
    "storage.googleapis.com",
  ])
  project            = var.project_id
  service            = each.value
  disable_on_destroy = false
}

module "state_api" {
  source   = "./modules/http-function"
  for_each = local.state_api_releases

  project_id            = var.project_id
  region                = var.region
  name                  = each.value.function_name
  entry_point           = "state-api"
  description           = "Strata HTTP API v1 (${each.key} release)."
  source_bucket         = google_storage_bucket.source.name
  source_object         = each.value.object
  service_account_email = google_service_account.state_api.email
  environment           = merge(local.env_common, local.env_state_api, var.extra_environment)
  secret_environment    = local.secret_env
  min_instances         = each.key == "stable" ? var.state_api_instances.min : 0
  max_instances         = var.state_api_instances.max
  # Behind the load balancer the function URL is closed, so no request skips the canary split.
  ingress = var.api_domain == "" ? "ALLOW_ALL" : "ALLOW_INTERNAL_AND_GCLB"

  depends_on = [google_project_service.apis, google_secret_manager_secret_iam_member.state_api]
}

module "scheduled" {
  source   = "./modules/scheduled-function"
  for_each = var.schedules

  project_id                      = var.project_id
  region                          = var.region
  name                            = "${each.key}${local.name_suffix}"
  entry_point                     = each.key
  description                     = each.value.description
  schedule                        = each.value.cron
  source_bucket                   = google_storage_bucket.source.name
  source_object                   = local.release_object
  service_account_email           = google_service_account.jobs.email
  scheduler_service_account_email = google_service_account.scheduler.email
  environment                     = merge(local.env_common, local.env_scheduled, var.extra_environment)
  secret_environment              = local.secret_env
  min_instances                   = var.scheduled_instances.min
  max_instances                   = var.scheduled_instances.max

  depends_on = [google_project_service.apis, google_secret_manager_secret_iam_member.jobs]
}

module "upstash" {
  source = "./modules/upstash-redis"
  count  = var.enable_upstash ? 1 : 0

  database_name  = "strata${local.name_suffix}"
  primary_region = var.upstash_primary_region
}

module "neon" {
  source = "./modules/neon"
  count  = var.enable_neon ? 1 : 0

  project_name              = "strata${local.name_suffix}"
  region_id                 = var.neon_region
  history_retention_seconds = var.neon_history_retention_seconds
}

module "clickhouse" {
  source = "./modules/clickhouse-cloud"
  count  = var.enable_clickhouse ? 1 : 0

  service_name = "strata${local.name_suffix}"
  region       = var.clickhouse_region
  ip_access    = var.clickhouse_ip_access
}

module "monitoring" {
  source = "./modules/monitoring"

  project_id               = var.project_id
  environment              = var.environment
  notification_channel_ids = var.notification_channel_ids
  function_names           = local.function_names
}
