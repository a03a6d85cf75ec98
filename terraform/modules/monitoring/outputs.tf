output "dashboard_id" {
  description = "The Strata dashboard."
  value       = google_monitoring_dashboard.strata.id
}

output "alert_policy_ids" {
  description = "Alert policies by SLA row."
  value = {
    save_latency_p99         = google_monitoring_alert_policy.save_latency_p99.id
    persistence_success_rate = google_monitoring_alert_policy.persistence_success_rate.id
    failover_events          = google_monitoring_alert_policy.failover_events.id
    breaker_open             = google_monitoring_alert_policy.breaker_open.id
    spool_depth              = google_monitoring_alert_policy.spool_depth.id
    outbox_depth             = google_monitoring_alert_policy.outbox_depth.id
    archive_lag              = google_monitoring_alert_policy.archive_lag.id
    consistency_drift        = google_monitoring_alert_policy.consistency_drift.id
    dead_letters             = google_monitoring_alert_policy.dead_letters.id
  }
}
