# The REST endpoint and token Strata needs (UPSTASH_REDIS_REST_URL, UPSTASH_REDIS_REST_TOKEN).

output "rest_url" {
  description = "REST URL of the database."
  value       = "https://${upstash_redis_database.this.endpoint}"
}

output "rest_token" {
  description = "REST token with read and write access."
  value       = upstash_redis_database.this.rest_token
  sensitive   = true
}
