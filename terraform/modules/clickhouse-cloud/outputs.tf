# The URL and password Strata reads (CLICKHOUSE_URL, CLICKHOUSE_PASSWORD).

output "https_url" {
  description = "HTTPS interface of the service."
  value       = "https://${clickhouse_service.this.endpoints.https.host}:${clickhouse_service.this.endpoints.https.port}"
}

output "password" {
  description = "Password of the default user."
  value       = random_password.default_user.result
  sensitive   = true
}
