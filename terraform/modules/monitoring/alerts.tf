# One alert policy per row of Strata's SLA table, at its critical threshold. Each names the runbook section
# (docs/operations.md) that says what to do. Gauges arrive as distributions of samples (log-metrics.tf), so
# their conditions use the mean of the samples in each alignment period.

locals {
  alert_labels = { service = "strata", environment = var.environment }
}

resource "google_monitoring_alert_policy" "save_latency_p99" {
  project               = var.project_id
  display_name          = "Strata ${var.environment}: save latency p99 > 1 s"
  combiner              = "OR"
  severity              = "CRITICAL"
  notification_channels = var.notification_channel_ids
  user_labels           = local.alert_labels
  conditions {
    display_name = "p99 of PUT /v1/runs/:runId/state above 1 s for 5 min"
    condition_threshold {
      filter          = "metric.type=\"logging.googleapis.com/user/strata_request_duration_seconds\" AND resource.type=\"cloud_run_revision\" AND metric.label.route=\"/v1/runs/:runId/state\" AND metric.label.method=\"PUT\""
      comparison      = "COMPARISON_GT"
      threshold_value = 1
      duration        = "300s"
      aggregations {
        alignment_period     = "60s"
        per_series_aligner   = "ALIGN_DELTA"
        cross_series_reducer = "REDUCE_PERCENTILE_99"
      }
    }
  }
  alert_strategy {
    auto_close = "1800s"
  }
  documentation {
    subject   = "Strata ${var.environment}: saves are slow (p99 > 1 s, target < 250 ms)"
    mime_type = "text/markdown"
    content   = "The p99 latency of saves has been above 1 s for 5 minutes (SLA: < 250 ms). The hot tier answers most saves: check Redis first. Runbook: docs/operations.md#redis-timeouts"
  }
}

resource "google_monitoring_alert_policy" "persistence_success_rate" {
  project               = var.project_id
  display_name          = "Strata ${var.environment}: persistence success rate < 99 %"
  combiner              = "OR"
  severity              = "CRITICAL"
  notification_channels = var.notification_channel_ids
  user_labels           = local.alert_labels
  conditions {
    display_name = "failed / (acknowledged + failed) saves above 1 % over 5 min"
    condition_threshold {
      filter             = "metric.type=\"logging.googleapis.com/user/strata_saves_total\" AND resource.type=\"cloud_run_revision\" AND metric.label.outcome=\"failed\""
      denominator_filter = "metric.type=\"logging.googleapis.com/user/strata_saves_total\" AND resource.type=\"cloud_run_revision\" AND metric.label.outcome=one_of(\"acknowledged\", \"failed\")"
      comparison         = "COMPARISON_GT"
      threshold_value    = 0.01
      duration           = "0s"
      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_DELTA"
        cross_series_reducer = "REDUCE_SUM"
      }
      denominator_aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_DELTA"
        cross_series_reducer = "REDUCE_SUM"
      }
    }
  }
  alert_strategy {
    auto_close = "1800s"
  }
  documentation {
    subject   = "Strata ${var.environment}: saves are failing (success rate < 99 %, target >= 99.9 %)"
    mime_type = "text/markdown"
    content   = "More than 1 % of saves over the last 5 minutes answered 5xx (refused 4xx saves do not count). Nothing was acknowledged for them; callers retry. Runbook: docs/operations.md#checkpoint-failures"
  }
}

resource "google_monitoring_alert_policy" "failover_events" {
  project               = var.project_id
  display_name          = "Strata ${var.environment}: failover > 10 per minute"
  combiner              = "OR"
  severity              = "CRITICAL"
  notification_channels = var.notification_channel_ids
  user_labels           = local.alert_labels
  conditions {
    display_name = "failover events above 10 per minute for 5 min"
    condition_threshold {
      filter          = "metric.type=\"logging.googleapis.com/user/strata_failover_total\" AND resource.type=\"cloud_run_revision\""
      comparison      = "COMPARISON_GT"
      threshold_value = 10
      duration        = "300s"
      aggregations {
        alignment_period     = "60s"
        per_series_aligner   = "ALIGN_DELTA"
        cross_series_reducer = "REDUCE_SUM"
      }
    }
  }
  alert_strategy {
    auto_close = "1800s"
  }
  documentation {
    subject   = "Strata ${var.environment}: requests are failing over (> 10 per minute)"
    mime_type = "text/markdown"
    content   = "Saves are being spooled or committed around an unhealthy hot tier, or loads answered below the hot tier, more than 10 times a minute for 5 minutes. The failover_total labels say which tier is skipped. Runbook: docs/operations.md#breaker-open"
  }
}

resource "google_monitoring_alert_policy" "breaker_open" {
  project               = var.project_id
  display_name          = "Strata ${var.environment}: circuit breaker open > 2 min"
  combiner              = "OR"
  severity              = "CRITICAL"
  notification_channels = var.notification_channel_ids
  user_labels           = local.alert_labels
  conditions {
    display_name = "a tier's breaker open (2) for more than 2 min"
    condition_threshold {
      filter          = "metric.type=\"logging.googleapis.com/user/strata_breaker_state\" AND resource.type=\"cloud_run_revision\""
      comparison      = "COMPARISON_GT"
      threshold_value = 1.5
      duration        = "120s"
      aggregations {
        alignment_period     = "60s"
        per_series_aligner   = "ALIGN_MEAN"
        cross_series_reducer = "REDUCE_MAX"
        group_by_fields      = ["metric.label.tier"]
      }
    }
  }
  alert_strategy {
    auto_close = "1800s"
  }
  documentation {
    subject   = "Strata ${var.environment}: a tier's circuit breaker is open"
    mime_type = "text/markdown"
    content   = "The circuit breaker of the tier named in metric.label.tier has been open for more than 2 minutes: the tier is being skipped. Runbook: docs/operations.md#breaker-open"
  }
}

resource "google_monitoring_alert_policy" "spool_depth" {
  project               = var.project_id
  display_name          = "Strata ${var.environment}: fallback spool > 1000 for 15 min"
  combiner              = "OR"
  severity              = "CRITICAL"
  notification_channels = var.notification_channel_ids
  user_labels           = local.alert_labels
  conditions {
    display_name = "spool depth above 1000 for 15 min"
    condition_threshold {
      filter          = "metric.type=\"logging.googleapis.com/user/strata_spool_depth\" AND resource.type=\"cloud_run_revision\""
      comparison      = "COMPARISON_GT"
      threshold_value = 1000
      duration        = "900s"
      aggregations {
        alignment_period     = "60s"
        per_series_aligner   = "ALIGN_MEAN"
        cross_series_reducer = "REDUCE_MAX"
      }
    }
  }
  alert_strategy {
    auto_close = "1800s"
  }
  documentation {
    subject   = "Strata ${var.environment}: the fallback spool is not draining"
    mime_type = "text/markdown"
    content   = "More than 1000 writes have waited in the fallback spool for 15 minutes (target 0): Postgres is refusing them or drain-fallback is not running. Runbook: docs/operations.md#spool-backlog"
  }
}

resource "google_monitoring_alert_policy" "outbox_depth" {
  project               = var.project_id
  display_name          = "Strata ${var.environment}: outbox > 50000 for 15 min"
  combiner              = "OR"
  severity              = "CRITICAL"
  notification_channels = var.notification_channel_ids
  user_labels           = local.alert_labels
  conditions {
    display_name = "outbox depth above 50000 for 15 min"
    condition_threshold {
      filter          = "metric.type=\"logging.googleapis.com/user/strata_outbox_depth\" AND resource.type=\"cloud_run_revision\""
      comparison      = "COMPARISON_GT"
      threshold_value = 50000
      duration        = "900s"
      aggregations {
        alignment_period     = "60s"
        per_series_aligner   = "ALIGN_MEAN"
        cross_series_reducer = "REDUCE_MAX"
      }
    }
  }
  alert_strategy {
    auto_close = "1800s"
  }
  documentation {
    subject   = "Strata ${var.environment}: acknowledged saves are not reaching Postgres"
    mime_type = "text/markdown"
    content   = "More than 50,000 runs have waited in the hot tier's outbox for 15 minutes (target < 10,000): drain-outbox cannot commit them. They are safe in Redis only. Runbook: docs/operations.md#checkpoint-failures"
  }
}

resource "google_monitoring_alert_policy" "archive_lag" {
  project               = var.project_id
  display_name          = "Strata ${var.environment}: archive lag > 1 h"
  combiner              = "OR"
  severity              = "CRITICAL"
  notification_channels = var.notification_channel_ids
  user_labels           = local.alert_labels
  conditions {
    display_name = "oldest unarchived completed run older than 1 h"
    condition_threshold {
      filter          = "metric.type=\"logging.googleapis.com/user/strata_archive_lag_seconds\" AND resource.type=\"cloud_run_revision\""
      comparison      = "COMPARISON_GT"
      threshold_value = 3600
      duration        = "0s"
      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_MEAN"
        cross_series_reducer = "REDUCE_MAX"
      }
    }
  }
  alert_strategy {
    auto_close = "1800s"
  }
  documentation {
    subject   = "Strata ${var.environment}: completed runs are not being archived"
    mime_type = "text/markdown"
    content   = "A completed run has waited more than an hour for the archive (target < 10 min): archive-completed is failing or ClickHouse is unavailable. Runbook: docs/operations.md#archive-delays"
  }
}

resource "google_monitoring_alert_policy" "consistency_drift" {
  project               = var.project_id
  display_name          = "Strata ${var.environment}: consistency drift not repaired"
  combiner              = "OR"
  severity              = "CRITICAL"
  notification_channels = var.notification_channel_ids
  user_labels           = local.alert_labels
  conditions {
    display_name = "drift found by the consistency check and not repaired"
    # PromQL, because the condition compares two metrics per kind. hot_ahead_of_durable (AUTO saves of live runs)
    # and spooled_pending (spool-backlog covers it) are expected until their drain runs.
    condition_prometheus_query_language {
      query               = "sum by (kind) (increase(logging_googleapis_com:user_strata_consistency_drift_total_sum{monitored_resource=\"cloud_run_revision\",kind!~\"hot_ahead_of_durable|spooled_pending\"}[20m])) - sum by (kind) (increase(logging_googleapis_com:user_strata_consistency_repaired_total_sum{monitored_resource=\"cloud_run_revision\"}[20m])) > 0"
      duration            = "0s"
      evaluation_interval = "60s"
    }
  }
  alert_strategy {
    auto_close = "3600s"
  }
  documentation {
    subject   = "Strata ${var.environment}: tiers disagree and the checker could not repair it"
    mime_type = "text/markdown"
    content   = "The consistency check found drift of the kind in the alert's labels that it did not repair (target: 0). Runbook: docs/operations.md#cross-tier-inconsistency"
  }
}

resource "google_monitoring_alert_policy" "dead_letters" {
  project               = var.project_id
  display_name          = "Strata ${var.environment}: dead letters > 0"
  combiner              = "OR"
  severity              = "CRITICAL"
  notification_channels = var.notification_channel_ids
  user_labels           = local.alert_labels
  conditions {
    display_name = "quarantined spooled entries"
    condition_threshold {
      filter          = "metric.type=\"logging.googleapis.com/user/strata_dead_letters\" AND resource.type=\"cloud_run_revision\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"
      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_MEAN"
        cross_series_reducer = "REDUCE_MAX"
      }
    }
  }
  alert_strategy {
    auto_close = "1800s"
  }
  documentation {
    subject   = "Strata ${var.environment}: spooled writes were quarantined"
    mime_type = "text/markdown"
    content   = "A tier refused the data of spooled writes, which now wait in quarantine (target 0). They were acknowledged to callers. Runbook: docs/operations.md#dead-letters"
  }
}
