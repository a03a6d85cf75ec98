# The connection string Strata reads as DATABASE_URL.

output "database_url" {
  description = "postgresql:// URL of Strata's database through the branch's endpoint, TLS required."
  value       = "postgresql://${neon_role.strata.name}:${neon_role.strata.password}@${neon_endpoint.strata.host}/${neon_database.strata.name}?sslmode=require"
  sensitive   = true
}

output "host" {
  description = "Endpoint host of the branch."
  value       = neon_endpoint.strata.host
}
