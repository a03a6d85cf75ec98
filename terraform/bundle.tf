# The functions' source: the build (`npm run build` → dist/) zipped and uploaded under its content hash, so a
# changed build is a new object name and every function built from it redeploys; an unchanged build changes
# nothing. Old bundles are kept (ABANDON) for rollbacks to an earlier release and expire with the bucket's
# lifecycle rule.

data "archive_file" "bundle" {
  type        = "zip"
  source_dir  = var.bundle_dir
  output_path = "${path.module}/.build/strata-bundle.zip"
}

resource "google_storage_bucket" "source" {
  project                     = var.project_id
  name                        = "${var.project_id}-strata-source${local.name_suffix}"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = false

  # A release older than this can no longer be rolled back to (its bundle is gone; the running function is not
  # affected: Cloud Build made its image at deploy time).
  lifecycle_rule {
    condition {
      age = 180
    }
    action {
      type = "Delete"
    }
  }

  depends_on = [google_project_service.apis]
}

resource "google_storage_bucket_object" "bundle" {
  bucket          = google_storage_bucket.source.name
  name            = "bundles/strata-${data.archive_file.bundle.output_sha256}.zip"
  source          = data.archive_file.bundle.output_path
  content_type    = "application/zip"
  deletion_policy = "ABANDON"
}
