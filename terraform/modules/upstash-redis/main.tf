# The hot tier: one Upstash Redis database, reached by Strata through its REST API (@upstash/redis).
# New Upstash databases are global (region = "global" with a primary region); TLS is always on.

resource "upstash_redis_database" "this" {
  database_name  = var.database_name
  region         = "global"
  primary_region = var.primary_region
  tls            = true
  eviction       = var.eviction
}
