# Inputs of the archive's ClickHouse Cloud service.

variable "service_name" {
  description = "Service name in ClickHouse Cloud."
  type        = string
  nullable    = false
}

variable "region" {
  description = "Google Cloud region of the service."
  type        = string
  nullable    = false
}

variable "ip_access" {
  description = "CIDRs allowed to connect."
  type        = list(string)
  nullable    = false
}

variable "idle_timeout_minutes" {
  description = "Idle time before the service scales to zero (the archive is written once a minute at most)."
  type        = number
  nullable    = false
  default     = 15
}
