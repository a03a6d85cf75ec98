# Inputs of one private scheduled function and its Cloud Scheduler job.

variable "project_id" {
  description = "Google Cloud project."
  type        = string
  nullable    = false
}

variable "region" {
  description = "Region of the function."
  type        = string
  nullable    = false
}

variable "name" {
  description = "Function (and Cloud Run service) name."
  type        = string
  nullable    = false
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,61}[a-z0-9]$", var.name))
    error_message = "name must be lowercase letters, digits and hyphens, at most 63 characters."
  }
}

variable "entry_point" {
  description = "functions-framework target registered by the bundle (ff.http name)."
  type        = string
  nullable    = false
}

variable "description" {
  description = "Human description of the function."
  type        = string
  nullable    = false
}

variable "source_bucket" {
  description = "Bucket of the bundle."
  type        = string
  nullable    = false
}

variable "source_object" {
  description = "Bundle object (a zip of dist/) the function is built from."
  type        = string
  nullable    = false
}

variable "service_account_email" {
  description = "Identity the function runs as."
  type        = string
  nullable    = false
}

variable "environment" {
  description = "Plain environment variables."
  type        = map(string)
  nullable    = false
}

variable "secret_environment" {
  description = "Environment variables read from Secret Manager: name => secret id (latest version)."
  type        = map(string)
  nullable    = false
}

variable "min_instances" {
  description = "Instances kept warm."
  type        = number
  nullable    = false
}

variable "max_instances" {
  description = "Upper bound of the instance pool."
  type        = number
  nullable    = false
  validation {
    condition     = var.max_instances >= 1
    error_message = "max_instances must be at least 1."
  }
}

variable "concurrency" {
  description = "Runs one instance serves at once: 1, so a doubled trigger waits for (or is refused by) a busy job."
  type        = number
  nullable    = false
  default     = 1
}

variable "memory" {
  description = "Memory of an instance."
  type        = string
  nullable    = false
  default     = "1Gi"
}

variable "cpu" {
  description = "vCPUs of an instance; concurrency above 1 needs at least 1."
  type        = string
  nullable    = false
  default     = "1"
}

variable "timeout_seconds" {
  description = "Longest run of the job; the scheduler's attempt deadline matches it."
  type        = number
  nullable    = false
  default     = 540
}

variable "schedule" {
  description = "unix-cron expression of the Cloud Scheduler job (from lib/runtime/schedules.ts)."
  type        = string
  nullable    = false
}

variable "time_zone" {
  description = "Time zone of the schedule."
  type        = string
  nullable    = false
  default     = "Etc/UTC"
}

variable "scheduler_service_account_email" {
  description = "Identity Cloud Scheduler signs its OIDC token as; the only one allowed to invoke the function."
  type        = string
  nullable    = false
}
