# The durable tier: a Neon project with a dedicated branch, its read-write endpoint, and the role and database
# Strata owns (its tables come from `npm run db:migrate`, not from Terraform).

resource "neon_project" "this" {
  name                      = var.project_name
  region_id                 = var.region_id
  pg_version                = var.pg_version
  history_retention_seconds = var.history_retention_seconds
}

resource "neon_branch" "strata" {
  project_id = neon_project.this.id
  parent_id  = neon_project.this.default_branch_id
  name       = "strata"
}

resource "neon_endpoint" "strata" {
  project_id               = neon_project.this.id
  branch_id                = neon_branch.strata.id
  type                     = "read_write"
  autoscaling_limit_min_cu = var.autoscaling.min_cu
  autoscaling_limit_max_cu = var.autoscaling.max_cu
}

resource "neon_role" "strata" {
  project_id = neon_project.this.id
  branch_id  = neon_branch.strata.id
  name       = "strata"

  # Neon refuses a role on a branch without a read-write endpoint.
  depends_on = [neon_endpoint.strata]
}

resource "neon_database" "strata" {
  project_id = neon_project.this.id
  branch_id  = neon_branch.strata.id
  name       = "strata"
  owner_name = neon_role.strata.name
}
