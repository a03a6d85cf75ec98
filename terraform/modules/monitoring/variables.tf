# Inputs of the monitoring module (placeholder; the metrics engineer's module replaces this file on merge).

variable "project_id" {
  description = "Google Cloud project of the log-based metrics, dashboards and alert policies."
  type        = string
  nullable    = false
}

variable "environment" {
  description = "Deployment environment (dev, staging, prod)."
  type        = string
  nullable    = false
}

variable "notification_channel_ids" {
  description = "Notification channels the alert policies page."
  type        = list(string)
  nullable    = false
}

variable "function_names" {
  description = "Every deployed Strata function."
  type        = list(string)
  nullable    = false
}
