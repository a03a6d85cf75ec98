# One private scheduled function: a gen2 Cloud Function that only the scheduler's service account may invoke
# (roles/run.invoker on its Cloud Run service), fired by a Cloud Scheduler job over HTTP with an OIDC token
# whose audience is the function's URL. Strata checks that token too (lib/auth/scheduler-oidc.ts).

locals {
  # A gen2 function's URL is known before it exists, so the function can be told its own OIDC audience; the
  # postcondition below fails the apply if Google ever answers another URL.
  url = "https://${var.region}-${var.project_id}.cloudfunctions.net/${var.name}"

  own_env = {
    STRATA_SCHEDULER_AUDIENCE = local.url
  }
}

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
    # Reachable from the internet (Cloud Scheduler calls the public URL) but only with an accepted OIDC token.
    ingress_settings               = "ALLOW_ALL"
    all_traffic_on_latest_revision = true
    environment_variables          = merge(var.environment, local.own_env)

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

  lifecycle {
    postcondition {
      condition     = self.url == local.url
      error_message = "the function's URL is not the OIDC audience Strata was configured with (STRATA_SCHEDULER_AUDIENCE)."
    }
  }
}

resource "google_cloud_run_service_iam_member" "scheduler" {
  project  = var.project_id
  location = var.region
  service  = google_cloudfunctions2_function.this.name
  role     = "roles/run.invoker"
  member   = "serviceAccount:${var.scheduler_service_account_email}"
}

resource "google_cloud_scheduler_job" "this" {
  project          = var.project_id
  region           = var.region
  name             = var.name
  description      = var.description
  schedule         = var.schedule
  time_zone        = var.time_zone
  attempt_deadline = "${var.timeout_seconds}s"

  # The next tick is the retry: a failed run is not repeated at once (the job is idempotent either way).
  retry_config {
    retry_count = 0
  }

  http_target {
    http_method = "POST"
    uri         = google_cloudfunctions2_function.this.url

    oidc_token {
      service_account_email = var.scheduler_service_account_email
      audience              = google_cloudfunctions2_function.this.url
    }
  }

  depends_on = [google_cloud_run_service_iam_member.scheduler]
}
