# state-api's public entry when api_domain is set: an HTTPS load balancer with a managed certificate whose URL
# map splits requests between the stable and the canary function by canary_percent.
#
# Why the split is here and not on the Cloud Run service itself: a gen2 function owns its Cloud Run service,
# and every deploy of it sends 100 % of traffic to the new revision; no Terraform resource sets a revision split
# on that service. Two functions (state-api, state-api-canary) behind weighted backend services give the same
# 90/10 split, declaratively, with rollback by a variable (docs/operations.md, Canary).

locals {
  frontend_enabled = var.api_domain != ""
  # Weights per release: all to stable without a canary; canary_percent to the canary otherwise.
  backend_weights = {
    for key, _ in local.state_api_releases : key => (
      key == "canary" ? var.canary_percent : 100 - (var.canary_release == "" ? 0 : var.canary_percent)
    )
  }
}

resource "google_compute_region_network_endpoint_group" "state_api" {
  for_each              = local.frontend_enabled ? local.state_api_releases : {}
  project               = var.project_id
  name                  = "${each.value.function_name}-neg"
  region                = var.region
  network_endpoint_type = "SERVERLESS"

  cloud_run {
    service = module.state_api[each.key].service_name
  }
}

resource "google_compute_backend_service" "state_api" {
  for_each              = google_compute_region_network_endpoint_group.state_api
  project               = var.project_id
  name                  = "${local.state_api_releases[each.key].function_name}-backend"
  protocol              = "HTTPS"
  load_balancing_scheme = "EXTERNAL_MANAGED"

  backend {
    group = each.value.id
  }

  log_config {
    enable      = true
    sample_rate = 1
  }
}

resource "google_compute_url_map" "state_api" {
  count   = local.frontend_enabled ? 1 : 0
  project = var.project_id
  name    = "strata-api${local.name_suffix}"

  default_route_action {
    dynamic "weighted_backend_services" {
      for_each = google_compute_backend_service.state_api
      content {
        backend_service = weighted_backend_services.value.id
        weight          = local.backend_weights[weighted_backend_services.key]
      }
    }
  }
}

resource "google_compute_managed_ssl_certificate" "state_api" {
  count   = local.frontend_enabled ? 1 : 0
  project = var.project_id
  name    = "strata-api${local.name_suffix}"

  managed {
    domains = [var.api_domain]
  }
}

resource "google_compute_target_https_proxy" "state_api" {
  count            = local.frontend_enabled ? 1 : 0
  project          = var.project_id
  name             = "strata-api${local.name_suffix}"
  url_map          = google_compute_url_map.state_api[0].id
  ssl_certificates = [google_compute_managed_ssl_certificate.state_api[0].id]
}

resource "google_compute_global_address" "state_api" {
  count   = local.frontend_enabled ? 1 : 0
  project = var.project_id
  name    = "strata-api${local.name_suffix}"
}

resource "google_compute_global_forwarding_rule" "state_api" {
  count                 = local.frontend_enabled ? 1 : 0
  project               = var.project_id
  name                  = "strata-api${local.name_suffix}"
  target                = google_compute_target_https_proxy.state_api[0].id
  ip_address            = google_compute_global_address.state_api[0].id
  port_range            = "443"
  load_balancing_scheme = "EXTERNAL_MANAGED"
}
