# Inputs of the hot tier's Upstash Redis database.

variable "database_name" {
  description = "Name of the database in the Upstash console."
  type        = string
  nullable    = false
}

variable "primary_region" {
  description = "Primary region of the (global) database."
  type        = string
  nullable    = false
}

variable "eviction" {
  description = "Evict keys when full. Off: Strata's hot tier holds the only copy of AUTO saves until the outbox drains them, so a full database must refuse writes (Strata then fails over), never drop data."
  type        = bool
  nullable    = false
  default     = false
}
