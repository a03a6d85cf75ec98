# prod: state-api 2..100 instances; each scheduled function one instance at a time. Releases are passed with
# -var release=... / -var canary_release=... (docs/operations.md, Canary), never written here.
project_id  = "strata-prod-000000"
environment = "prod"
region      = "europe-west1"
api_domain  = "api.strata.example.com"

state_api_instances = { min = 2, max = 100 }
scheduled_instances = { min = 0, max = 1 }

notification_channel_ids = []
