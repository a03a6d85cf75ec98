# Providers this module uses; versions are pinned by the root module.
terraform {
  required_providers {
    google = {
      source = "hashicorp/google"
    }
  }
}
