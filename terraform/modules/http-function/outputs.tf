# What the root module wires onwards.

output "url" {
  description = "The function's HTTPS URL."
  value       = google_cloudfunctions2_function.this.url
}

output "service_name" {
  description = "The Cloud Run service behind the function (the load balancer's serverless NEG points at it)."
  value       = google_cloudfunctions2_function.this.name
}

output "function_name" {
  description = "The function's name."
  value       = google_cloudfunctions2_function.this.name
}
