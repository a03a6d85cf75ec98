# One log-based metric per entry of lib/observability/metrics-catalog.ts (test/observability checks they agree).
# The log sink (lib/observability/metrics-log.ts) writes each measurement as a jsonPayload field named after
# its metric, next to its labels: a metric selects the lines that carry its field and extracts it. Log-based
# metrics are DELTA only: counters count lines (INT64); histograms, gauges and summed counters distribute the
# extracted value (DISTRIBUTION, explicit buckets as in the catalogue).

locals {
  # The Strata functions' logs: gen2 Cloud Functions log as their Cloud Run service.
  strata_logs = "resource.type=\"cloud_run_revision\" AND resource.labels.service_name=(${join(" OR ", [for name in var.function_names : "\"${name}\""])})"
}

resource "google_logging_metric" "strata_tier_call_duration_seconds" {
  project         = var.project_id
  name            = "strata_tier_call_duration_seconds"
  description     = "Duration of one call to a tier port, in seconds. outcome=error when the call failed (tier unavailable, timeout or unexpected error); a typed answer such as a version conflict is ok."
  filter          = "${local.strata_logs} AND jsonPayload.strata_tier_call_duration_seconds:*"
  value_extractor = "EXTRACT(jsonPayload.strata_tier_call_duration_seconds)"
  label_extractors = {
    "tier"      = "EXTRACT(jsonPayload.tier)"
    "operation" = "EXTRACT(jsonPayload.operation)"
    "outcome"   = "EXTRACT(jsonPayload.outcome)"
  }
  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "DISTRIBUTION"
    unit         = "s"
    display_name = "strata_tier_call_duration_seconds"
    labels {
      key        = "tier"
      value_type = "STRING"
    }
    labels {
      key        = "operation"
      value_type = "STRING"
    }
    labels {
      key        = "outcome"
      value_type = "STRING"
    }
  }
  bucket_options {
    explicit_buckets {
      bounds = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
    }
  }
}

resource "google_logging_metric" "strata_requests_total" {
  project     = var.project_id
  name        = "strata_requests_total"
  description = "Answers of the state API, by route pattern (unmatched for a 404/405 of the router), method and HTTP status."
  filter      = "${local.strata_logs} AND jsonPayload.strata_requests_total:*"
  label_extractors = {
    "route"  = "EXTRACT(jsonPayload.route)"
    "method" = "EXTRACT(jsonPayload.method)"
    "status" = "EXTRACT(jsonPayload.status)"
  }
  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "INT64"
    unit         = "1"
    display_name = "strata_requests_total"
    labels {
      key        = "route"
      value_type = "STRING"
    }
    labels {
      key        = "method"
      value_type = "STRING"
    }
    labels {
      key        = "status"
      value_type = "STRING"
    }
  }
}

resource "google_logging_metric" "strata_request_duration_seconds" {
  project         = var.project_id
  name            = "strata_request_duration_seconds"
  description     = "Time from dispatch to answer of a state-API request, in seconds, by route pattern and method."
  filter          = "${local.strata_logs} AND jsonPayload.strata_request_duration_seconds:*"
  value_extractor = "EXTRACT(jsonPayload.strata_request_duration_seconds)"
  label_extractors = {
    "route"  = "EXTRACT(jsonPayload.route)"
    "method" = "EXTRACT(jsonPayload.method)"
  }
  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "DISTRIBUTION"
    unit         = "s"
    display_name = "strata_request_duration_seconds"
    labels {
      key        = "route"
      value_type = "STRING"
    }
    labels {
      key        = "method"
      value_type = "STRING"
    }
  }
  bucket_options {
    explicit_buckets {
      bounds = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
    }
  }
}

resource "google_logging_metric" "strata_saves_total" {
  project     = var.project_id
  name        = "strata_saves_total"
  description = "Saves (PUT state and restore) by the answer: acknowledged with its durability (hot/durable/spooled), refused (4xx, durability none) or failed (5xx, durability none). Persistence success rate = acknowledged / (acknowledged + failed)."
  filter      = "${local.strata_logs} AND jsonPayload.strata_saves_total:*"
  label_extractors = {
    "durability" = "EXTRACT(jsonPayload.durability)"
    "outcome"    = "EXTRACT(jsonPayload.outcome)"
  }
  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "INT64"
    unit         = "1"
    display_name = "strata_saves_total"
    labels {
      key        = "durability"
      value_type = "STRING"
    }
    labels {
      key        = "outcome"
      value_type = "STRING"
    }
  }
}

resource "google_logging_metric" "strata_loads_total" {
  project     = var.project_id
  name        = "strata_loads_total"
  description = "Loads (GET state) by the tier that answered (servedBy); none when the answer was not a 200."
  filter      = "${local.strata_logs} AND jsonPayload.strata_loads_total:*"
  label_extractors = {
    "served_by" = "EXTRACT(jsonPayload.served_by)"
  }
  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "INT64"
    unit         = "1"
    display_name = "strata_loads_total"
    labels {
      key        = "served_by"
      value_type = "STRING"
    }
  }
}

resource "google_logging_metric" "strata_failover_total" {
  project     = var.project_id
  name        = "strata_failover_total"
  description = "Failover events, by the tier that was skipped. operation=save,tier=durable: a save answered spooled. operation=save,tier=hot: a save answered durable while the hot circuit breaker was not closed. operation=load,tier=hot: a load answered 200 by a tier below hot (durable, archive or fallback), which includes a run whose hot copy expired."
  filter      = "${local.strata_logs} AND jsonPayload.strata_failover_total:*"
  label_extractors = {
    "operation" = "EXTRACT(jsonPayload.operation)"
    "tier"      = "EXTRACT(jsonPayload.tier)"
  }
  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "INT64"
    unit         = "1"
    display_name = "strata_failover_total"
    labels {
      key        = "operation"
      value_type = "STRING"
    }
    labels {
      key        = "tier"
      value_type = "STRING"
    }
  }
}

resource "google_logging_metric" "strata_breaker_state" {
  project         = var.project_id
  name            = "strata_breaker_state"
  description     = "Circuit breaker of a tier: 0 closed, 1 half-open, 2 open. Self-hosted: the process's breakers, read at scrape. Cloud: written by each scheduled function after its job, from that instance's breakers."
  filter          = "${local.strata_logs} AND jsonPayload.strata_breaker_state:*"
  value_extractor = "EXTRACT(jsonPayload.strata_breaker_state)"
  label_extractors = {
    "tier" = "EXTRACT(jsonPayload.tier)"
  }
  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "DISTRIBUTION"
    unit         = "1"
    display_name = "strata_breaker_state"
    labels {
      key        = "tier"
      value_type = "STRING"
    }
  }
  bucket_options {
    explicit_buckets {
      bounds = [1, 2]
    }
  }
}

resource "google_logging_metric" "strata_spool_depth" {
  project         = var.project_id
  name            = "strata_spool_depth"
  description     = "Entries waiting in the fallback spool (fallback.count())."
  filter          = "${local.strata_logs} AND jsonPayload.strata_spool_depth:*"
  value_extractor = "EXTRACT(jsonPayload.strata_spool_depth)"
  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "DISTRIBUTION"
    unit         = "1"
    display_name = "strata_spool_depth"
  }
  bucket_options {
    explicit_buckets {
      bounds = [1, 10, 100, 1000, 10000, 100000]
    }
  }
}

resource "google_logging_metric" "strata_outbox_depth" {
  project         = var.project_id
  name            = "strata_outbox_depth"
  description     = "Runs in the hot tier's outbox: acknowledged saves the plan will make durable, not durable yet (hot.outboxSize())."
  filter          = "${local.strata_logs} AND jsonPayload.strata_outbox_depth:*"
  value_extractor = "EXTRACT(jsonPayload.strata_outbox_depth)"
  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "DISTRIBUTION"
    unit         = "1"
    display_name = "strata_outbox_depth"
  }
  bucket_options {
    explicit_buckets {
      bounds = [10, 100, 1000, 10000, 50000, 100000, 1000000]
    }
  }
}

resource "google_logging_metric" "strata_archive_lag_seconds" {
  project         = var.project_id
  name            = "strata_archive_lag_seconds"
  description     = "Age in seconds of the oldest completed run not archived yet (0 when none)."
  filter          = "${local.strata_logs} AND jsonPayload.strata_archive_lag_seconds:*"
  value_extractor = "EXTRACT(jsonPayload.strata_archive_lag_seconds)"
  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "DISTRIBUTION"
    unit         = "s"
    display_name = "strata_archive_lag_seconds"
  }
  bucket_options {
    explicit_buckets {
      bounds = [60, 300, 600, 1800, 3600, 21600, 86400]
    }
  }
}

resource "google_logging_metric" "strata_consistency_drift_total" {
  project         = var.project_id
  name            = "strata_consistency_drift_total"
  description     = "Drift found by the consistency check, by kind (lib/lifecycle/consistency-drift.ts). hot_ahead_of_durable is expected for AUTO saves of live runs."
  filter          = "${local.strata_logs} AND jsonPayload.strata_consistency_drift_total:*"
  value_extractor = "EXTRACT(jsonPayload.strata_consistency_drift_total)"
  label_extractors = {
    "kind" = "EXTRACT(jsonPayload.kind)"
  }
  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "DISTRIBUTION"
    unit         = "1"
    display_name = "strata_consistency_drift_total"
    labels {
      key        = "kind"
      value_type = "STRING"
    }
  }
  bucket_options {
    explicit_buckets {
      bounds = [1, 10, 100, 1000, 10000, 100000]
    }
  }
}

resource "google_logging_metric" "strata_consistency_repaired_total" {
  project         = var.project_id
  name            = "strata_consistency_repaired_total"
  description     = "Drift repaired by the consistency check, by kind."
  filter          = "${local.strata_logs} AND jsonPayload.strata_consistency_repaired_total:*"
  value_extractor = "EXTRACT(jsonPayload.strata_consistency_repaired_total)"
  label_extractors = {
    "kind" = "EXTRACT(jsonPayload.kind)"
  }
  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "DISTRIBUTION"
    unit         = "1"
    display_name = "strata_consistency_repaired_total"
    labels {
      key        = "kind"
      value_type = "STRING"
    }
  }
  bucket_options {
    explicit_buckets {
      bounds = [1, 10, 100, 1000, 10000, 100000]
    }
  }
}

resource "google_logging_metric" "strata_dead_letters" {
  project         = var.project_id
  name            = "strata_dead_letters"
  description     = "Spooled entries quarantined because a tier refused their data. Reads 0 until the fallback port can count them."
  filter          = "${local.strata_logs} AND jsonPayload.strata_dead_letters:*"
  value_extractor = "EXTRACT(jsonPayload.strata_dead_letters)"
  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "DISTRIBUTION"
    unit         = "1"
    display_name = "strata_dead_letters"
  }
  bucket_options {
    explicit_buckets {
      bounds = [1, 10, 100, 1000]
    }
  }
}
