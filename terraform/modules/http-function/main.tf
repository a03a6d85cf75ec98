# One public HTTP function: a gen2 Cloud Function (nodejs22) built from a bundle, open to unauthenticated
# callers at the platform level because Strata authenticates every request itself.

resource "google_cloudfunctions2_function" "this" {
  project     = var.project_id
  location    = var.region
  name        = var.name
  description = var.description

  build_config {
    runtime     = "nodejs22"
    entry_point = var.entry_point
    source {
      storage_source {
        bucket = var.source_bucket
        object = var.source_object
      }
    }
  }

  service_config {
    service_account_email            = var.service_account_email
    min_instance_count               = var.min_instances
    max_instance_count               = var.max_instances
    max_instance_request_concurrency = var.concurrency
    available_memory                 = var.memory
    available_cpu                    = var.cpu
    timeout_seconds                  = var.timeout_seconds
    ingress_settings                 = var.ingress
    all_traffic_on_latest_revision   = true
    environment_variables            = var.environment

    dynamic "secret_environment_variables" {
      for_each = var.secret_environment
      content {
        key        = secret_environment_variables.key
        project_id = var.project_id
        secret     = secret_environment_variables.value
        version    = "latest"
      }
    }
  }
}

# allUsers may invoke: state-api is a public API and every route but /health/persistence demands an API key
# (Authorization: Bearer), checked by Strata against the tenant's key hash in Postgres (lib/auth/api-keys.ts).
# Cloud Run IAM cannot authenticate agents holding Strata API keys, so a platform-level check would only add
# a second credential the callers do not have. /health/persistence is public on purpose and returns no data.
resource "google_cloud_run_service_iam_member" "public" {
  project  = var.project_id
  location = var.region
  service  = google_cloudfunctions2_function.this.name
  role     = "roles/run.invoker"
  member   = "allUsers"
}
