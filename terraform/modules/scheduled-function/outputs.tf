# What the root module wires onwards.

output "url" {
  description = "The function's HTTPS URL, also its OIDC audience."
  value       = google_cloudfunctions2_function.this.url
}

output "function_name" {
  description = "The function's name."
  value       = google_cloudfunctions2_function.this.name
}

output "scheduler_job" {
  description = "The Cloud Scheduler job that fires it."
  value       = google_cloud_scheduler_job.this.name
}
