# Inputs of the durable tier's Neon Postgres.

variable "project_name" {
  description = "Neon project name."
  type        = string
  nullable    = false
}

variable "region_id" {
  description = "Neon region, e.g. aws-eu-central-1."
  type        = string
  nullable    = false
}

variable "history_retention_seconds" {
  description = "Point-in-time restore window."
  type        = number
  nullable    = false
}

variable "pg_version" {
  description = "Postgres major version (the migrations in drizzle/ are tested on 16-18)."
  type        = number
  nullable    = false
  default     = 17
}

variable "autoscaling" {
  description = "Compute units of the branch's read-write endpoint."
  type        = object({ min_cu = number, max_cu = number })
  nullable    = false
  default     = { min_cu = 0.25, max_cu = 2 }
}
