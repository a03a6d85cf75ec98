# The Strata dashboard: every KPI of the SLA table (docs/operations.md), from the log-based metrics of
# log-metrics.tf. The layout is plain Cloud Monitoring dashboard JSON in dashboard.json (importable in the
# console as is; its legends use Monitoring's own ${metric.labels.x} syntax, so it is read with file(), not
# templatefile()); only the name gets the environment.
resource "google_monitoring_dashboard" "strata" {
  project = var.project_id
  dashboard_json = jsonencode(merge(jsondecode(file("${path.module}/dashboard.json")), {
    displayName = "Strata ${var.environment}"
  }))
  # The metrics must exist before a chart can name them.
  depends_on = [
    google_logging_metric.strata_tier_call_duration_seconds,
    google_logging_metric.strata_requests_total,
    google_logging_metric.strata_request_duration_seconds,
    google_logging_metric.strata_saves_total,
    google_logging_metric.strata_loads_total,
    google_logging_metric.strata_failover_total,
    google_logging_metric.strata_breaker_state,
    google_logging_metric.strata_spool_depth,
    google_logging_metric.strata_outbox_depth,
    google_logging_metric.strata_archive_lag_seconds,
    google_logging_metric.strata_consistency_drift_total,
    google_logging_metric.strata_consistency_repaired_total,
    google_logging_metric.strata_dead_letters,
  ]
}
