# The fallback store of the cloud (STRATA_FALLBACK=gcs): where a write goes when the durable tier refuses it,
# until drain-fallback commits it. Private, uniform access, versioned so an overwritten or deleted spool entry
# can be recovered for a while.

resource "google_storage_bucket" "fallback" {
  project                     = var.project_id
  name                        = "${var.project_id}-strata-fallback${local.name_suffix}"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = false

  versioning {
    enabled = true
  }

  # Live spool entries are never expired (a drain removes them once durable); only the older copies that
  # versioning keeps after a drain's delete or an overwrite go, after 30 days.
  lifecycle_rule {
    condition {
      with_state                 = "ARCHIVED"
      days_since_noncurrent_time = 30
    }
    action {
      type = "Delete"
    }
  }

  depends_on = [google_project_service.apis]
}
