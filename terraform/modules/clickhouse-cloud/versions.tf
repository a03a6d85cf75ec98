# Providers this module uses; versions are pinned by the root module.
terraform {
  required_providers {
    clickhouse = {
      source = "ClickHouse/clickhouse"
    }
    random = {
      source = "hashicorp/random"
    }
  }
}
