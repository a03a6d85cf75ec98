# Terraform and provider versions, pinned exactly: a plan means the same thing on every machine.
# google 6.50.0 is the version @cdktf/provider-google 16.12.1 was generated from, the schema the offline
# check (infra/terraform-check) reads; the others are published registry releases.
terraform {
  # 1.9: validation blocks may refer to other variables (canary_release needs api_domain).
  required_version = ">= 1.9.0"

  # State in a GCS bucket, one prefix per environment:
  # terraform init -backend-config="bucket=<state bucket>" -backend-config="prefix=strata/<env>"
  backend "gcs" {}

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "6.50.0"
    }
    archive = {
      source  = "hashicorp/archive"
      version = "2.7.1"
    }
    random = {
      source  = "hashicorp/random"
      version = "3.7.2"
    }
    upstash = {
      source  = "upstash/upstash"
      version = "2.1.0"
    }
    neon = {
      source  = "kislerdm/neon"
      version = "0.13.0"
    }
    clickhouse = {
      source  = "ClickHouse/clickhouse"
      version = "3.8.0"
    }
  }
}
