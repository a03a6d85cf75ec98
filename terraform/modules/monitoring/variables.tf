variable "project_id" {
  description = "Google Cloud project that holds the functions' logs, the log-based metrics, the dashboard and the alert policies."
  type        = string
  nullable    = false
}

variable "environment" {
  description = "Deployment environment; named in the dashboard, the alert policies and their user labels."
  type        = string
  nullable    = false
  validation {
    condition     = contains(["dev", "staging", "prod"], var.environment)
    error_message = "environment must be dev, staging or prod."
  }
}

variable "notification_channel_ids" {
  description = "Monitoring notification channels (projects/<p>/notificationChannels/<id>) every alert policy notifies."
  type        = list(string)
  nullable    = false
}

variable "function_names" {
  description = "Names of the deployed Strata functions (state-api and the scheduled ones): the log-based metrics read only their logs."
  type        = list(string)
  nullable    = false
  validation {
    condition     = length(var.function_names) > 0
    error_message = "function_names must name at least the state-api function."
  }
}
