# Inputs of the Strata deployment. Per-environment values live in environments/<env>.tfvars; the schedules
# come from schedules.auto.tfvars.json, written from lib/runtime/schedules.ts (never edited by hand).

variable "project_id" {
  description = "Google Cloud project that hosts Strata."
  type        = string
  nullable    = false
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a Google Cloud project id (6-30 lowercase letters, digits, hyphens)."
  }
}

variable "region" {
  description = "Region of the functions, the scheduler jobs and the buckets."
  type        = string
  nullable    = false
  default     = "europe-west1"
  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]$", var.region))
    error_message = "region must be a Google Cloud region such as europe-west1."
  }
}

variable "environment" {
  description = "Deployment environment; names resources and selects nothing else (the tfvars file does)."
  type        = string
  nullable    = false
  validation {
    condition     = contains(["dev", "staging", "prod"], var.environment)
    error_message = "environment must be dev, staging or prod."
  }
}

variable "bundle_dir" {
  description = "The build output (`npm run build`): zipped as the functions' source. Relative to terraform/."
  type        = string
  nullable    = false
  default     = "../dist"
  validation {
    condition     = length(trimspace(var.bundle_dir)) > 0
    error_message = "bundle_dir must name the directory `npm run build` writes (../dist)."
  }
}

variable "release" {
  description = "Bundle every function runs (state-api's stable share): \"built\" (this apply's bundle of bundle_dir) or an earlier bundle object, bundles/strata-<sha256>.zip (output bundle_object)."
  type        = string
  nullable    = false
  default     = "built"
  validation {
    condition     = var.release == "built" || can(regex("^bundles/strata-[0-9a-f]{64}\\.zip$", var.release))
    error_message = "release must be \"built\" or a bundle object name bundles/strata-<sha256>.zip."
  }
}

variable "canary_release" {
  description = "Bundle of the state-api canary (\"built\" or bundles/strata-<sha256>.zip); \"\" runs no canary. Needs api_domain: the split is made by the load balancer."
  type        = string
  nullable    = false
  default     = ""
  validation {
    condition     = var.canary_release == "" || var.canary_release == "built" || can(regex("^bundles/strata-[0-9a-f]{64}\\.zip$", var.canary_release))
    error_message = "canary_release must be \"\", \"built\" or a bundle object name bundles/strata-<sha256>.zip."
  }
  validation {
    condition     = var.canary_release == "" || var.api_domain != ""
    error_message = "a canary needs api_domain: the traffic split is the load balancer's (docs/operations.md, Canary)."
  }
}

variable "canary_percent" {
  description = "Share of state-api requests the canary serves while canary_release is set (0 sends it none: a rollback)."
  type        = number
  nullable    = false
  default     = 10
  validation {
    condition     = var.canary_percent >= 0 && var.canary_percent <= 50 && floor(var.canary_percent) == var.canary_percent
    error_message = "canary_percent must be a whole number from 0 to 50; promote by setting release instead."
  }
}

variable "api_domain" {
  description = "Public host name of state-api behind an HTTPS load balancer with a managed certificate; \"\" serves state-api on its function URL only (no canary possible)."
  type        = string
  nullable    = false
  default     = ""
  validation {
    condition     = var.api_domain == "" || can(regex("^([a-z0-9-]+\\.)+[a-z]{2,}$", var.api_domain))
    error_message = "api_domain must be a DNS name such as api.strata.example.com, or \"\"."
  }
}

variable "state_api_instances" {
  description = "Instance pool of state-api (each instance serves many requests at once)."
  type        = object({ min = number, max = number })
  nullable    = false
  validation {
    condition     = var.state_api_instances.min >= 0 && var.state_api_instances.max >= 1 && var.state_api_instances.min <= var.state_api_instances.max
    error_message = "state_api_instances needs 0 <= min <= max and max >= 1."
  }
}

variable "scheduled_instances" {
  description = "Instance pool of each scheduled function; max = 1 runs one job at a time."
  type        = object({ min = number, max = number })
  nullable    = false
  validation {
    condition     = var.scheduled_instances.min >= 0 && var.scheduled_instances.max >= 1 && var.scheduled_instances.min <= var.scheduled_instances.max
    error_message = "scheduled_instances needs 0 <= min <= max and max >= 1."
  }
}

variable "schedules" {
  description = "Cloud Scheduler cron (UTC) of each scheduled function, from schedules.auto.tfvars.json (npx tsx infra/terraform-check/write-schedules.ts)."
  type        = map(object({ cron = string, description = string }))
  nullable    = false
  validation {
    condition     = length(var.schedules) > 0 && alltrue([for name, s in var.schedules : can(regex("^[a-z][a-z-]*[a-z]$", name)) && length(split(" ", s.cron)) == 5])
    error_message = "schedules must map function names to five-field cron expressions; regenerate schedules.auto.tfvars.json."
  }
}

variable "log_level" {
  description = "pino level of every function (STRATA_LOG_LEVEL)."
  type        = string
  nullable    = false
  default     = "info"
  validation {
    condition     = contains(["fatal", "error", "warn", "info", "debug", "trace", "silent"], var.log_level)
    error_message = "log_level must be a pino level: fatal, error, warn, info, debug, trace or silent."
  }
}

variable "extra_environment" {
  description = "Overrides of Strata settings that keep their code defaults otherwise (env.tf, config_defaults), e.g. { STRATA_HOT_TIMEOUT_MS = \"300\" }."
  type        = map(string)
  nullable    = false
  default     = {}
  validation {
    condition     = alltrue([for key in keys(var.extra_environment) : can(regex("^STRATA_[A-Z0-9_]+$", key))])
    error_message = "extra_environment keys must be STRATA_* settings; credentials go through Secret Manager (secrets.tf)."
  }
}

variable "notification_channel_ids" {
  description = "Cloud Monitoring notification channels the alert policies page (modules/monitoring)."
  type        = list(string)
  nullable    = false
  default     = []
}

variable "enable_upstash" {
  description = "Create the hot tier's Upstash Redis database (modules/upstash-redis); false uses upstash_rest_url and a token added to its secret by hand."
  type        = bool
  nullable    = false
  default     = true
}

variable "upstash_primary_region" {
  description = "Upstash primary region of a created database; pick the AWS region nearest to var.region."
  type        = string
  nullable    = false
  default     = "eu-west-1"
  validation {
    condition     = contains(["us-east-1", "us-west-1", "us-west-2", "eu-central-1", "eu-west-1", "sa-east-1", "ap-southeast-1", "ap-southeast-2"], var.upstash_primary_region)
    error_message = "upstash_primary_region must be one of Upstash's primary regions (us-east-1, eu-west-1, ...)."
  }
}

variable "upstash_rest_url" {
  description = "REST URL of an existing Upstash database; used only when enable_upstash is false."
  type        = string
  nullable    = false
  default     = ""
  validation {
    condition     = var.enable_upstash || can(regex("^https://", var.upstash_rest_url))
    error_message = "with enable_upstash = false, upstash_rest_url must be the database's https:// REST URL."
  }
}

variable "upstash_email" {
  description = "Upstash account e-mail of the provider (TF_VAR_upstash_email)."
  type        = string
  nullable    = false
  default     = ""
  sensitive   = true
}

variable "upstash_api_key" {
  description = "Upstash management API key of the provider (TF_VAR_upstash_api_key)."
  type        = string
  nullable    = false
  default     = ""
  sensitive   = true
  validation {
    condition     = !var.enable_upstash || length(var.upstash_api_key) > 0
    error_message = "enable_upstash needs the Upstash API key: export TF_VAR_upstash_email and TF_VAR_upstash_api_key."
  }
}

variable "enable_neon" {
  description = "Create the durable tier's Neon project, branch, role and database (modules/neon); false expects DATABASE_URL added to its secret by hand."
  type        = bool
  nullable    = false
  default     = true
}

variable "neon_region" {
  description = "Neon region of a created project, e.g. aws-eu-central-1."
  type        = string
  nullable    = false
  default     = "aws-eu-central-1"
  validation {
    condition     = can(regex("^(aws|azure)-[a-z0-9-]+$", var.neon_region))
    error_message = "neon_region must be a Neon region id such as aws-eu-central-1."
  }
}

variable "neon_history_retention_seconds" {
  description = "Point-in-time restore window of the Neon project."
  type        = number
  nullable    = false
  default     = 86400
  validation {
    condition     = var.neon_history_retention_seconds >= 0 && var.neon_history_retention_seconds <= 2592000
    error_message = "neon_history_retention_seconds must be between 0 and 30 days."
  }
}

variable "enable_clickhouse" {
  description = "Create the archive's ClickHouse Cloud service (modules/clickhouse-cloud); false uses clickhouse_url and a password added to its secret by hand."
  type        = bool
  nullable    = false
  default     = true
}

variable "clickhouse_region" {
  description = "Google Cloud region of a created ClickHouse Cloud service."
  type        = string
  nullable    = false
  default     = "europe-west4"
  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]$", var.clickhouse_region))
    error_message = "clickhouse_region must be a Google Cloud region that ClickHouse Cloud serves, e.g. europe-west4."
  }
}

variable "clickhouse_ip_access" {
  description = "CIDRs allowed to reach the ClickHouse service. Cloud Functions egress has no fixed address without a NAT, hence the open default; the password guards it."
  type        = list(string)
  nullable    = false
  default     = ["0.0.0.0/0"]
  validation {
    condition     = length(var.clickhouse_ip_access) > 0 && alltrue([for cidr in var.clickhouse_ip_access : can(cidrhost(cidr, 0))])
    error_message = "clickhouse_ip_access must list CIDRs such as 203.0.113.0/24."
  }
}

variable "clickhouse_url" {
  description = "HTTPS URL of an existing ClickHouse service (https://host:8443); used only when enable_clickhouse is false."
  type        = string
  nullable    = false
  default     = ""
  validation {
    condition     = var.enable_clickhouse || can(regex("^https://", var.clickhouse_url))
    error_message = "with enable_clickhouse = false, clickhouse_url must be the service's https:// URL."
  }
}

variable "clickhouse_database" {
  description = "ClickHouse database of the archive (CLICKHOUSE_DATABASE); `npm run db:migrate` creates it."
  type        = string
  nullable    = false
  default     = "strata"
  validation {
    condition     = can(regex("^\\w+$", var.clickhouse_database))
    error_message = "clickhouse_database must be letters, digits and _."
  }
}
