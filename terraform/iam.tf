# Least privilege: one service account per function kind and one for Cloud Scheduler. The function accounts can
# read the credentials and use the fallback bucket's objects, nothing else; the scheduler account can only invoke
# the scheduled functions (roles/run.invoker, granted in modules/scheduled-function).

resource "google_service_account" "state_api" {
  project      = var.project_id
  account_id   = "strata-api${local.name_suffix}"
  display_name = "Strata state-api (${var.environment})"
}

resource "google_service_account" "jobs" {
  project      = var.project_id
  account_id   = "strata-jobs${local.name_suffix}"
  display_name = "Strata scheduled functions (${var.environment})"
}

resource "google_service_account" "scheduler" {
  project      = var.project_id
  account_id   = "strata-scheduler${local.name_suffix}"
  display_name = "Cloud Scheduler caller of Strata's scheduled functions (${var.environment})"
}

# Object create/read/delete on the spool and nothing more. Listing is reading here: the drain and the
# consistency check enumerate the spool; overwriting an object needs delete, which the role has anyway.
resource "google_project_iam_custom_role" "spool_objects" {
  project     = var.project_id
  role_id     = "strataSpoolObjects${title(var.environment)}"
  title       = "Strata fallback spool objects (${var.environment})"
  description = "Create, read, list and delete objects; no bucket administration, no ACLs."
  permissions = [
    "storage.objects.create",
    "storage.objects.delete",
    "storage.objects.get",
    "storage.objects.list",
  ]
}

resource "google_storage_bucket_iam_member" "spool" {
  for_each = {
    state_api = google_service_account.state_api.member
    jobs      = google_service_account.jobs.member
  }
  bucket = google_storage_bucket.fallback.name
  role   = google_project_iam_custom_role.spool_objects.id
  member = each.value
}

resource "google_secret_manager_secret_iam_member" "state_api" {
  for_each  = google_secret_manager_secret.credential
  project   = var.project_id
  secret_id = each.value.secret_id
  role      = "roles/secretmanager.secretAccessor"
  member    = google_service_account.state_api.member
}

resource "google_secret_manager_secret_iam_member" "jobs" {
  for_each  = google_secret_manager_secret.credential
  project   = var.project_id
  secret_id = each.value.secret_id
  role      = "roles/secretmanager.secretAccessor"
  member    = google_service_account.jobs.member
}
