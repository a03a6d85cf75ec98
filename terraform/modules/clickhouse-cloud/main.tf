# The archive: one ClickHouse Cloud service on Google Cloud. Strata writes over HTTPS (@clickhouse/client-web)
# as the default user, whose password Terraform generates and Secret Manager keeps.

resource "random_password" "default_user" {
  length  = 32
  special = false
}

resource "clickhouse_service" "this" {
  name                 = var.service_name
  cloud_provider       = "gcp"
  region               = var.region
  idle_scaling         = true
  idle_timeout_minutes = var.idle_timeout_minutes
  password             = random_password.default_user.result

  ip_access = [for cidr in var.ip_access : { source = cidr, description = "Strata functions" }]
}
