# dev: scale to zero, at most 3 instances of each function; state-api on its function URL, no canary.
project_id  = "strata-dev-000000"
environment = "dev"
region      = "europe-west1"

state_api_instances = { min = 0, max = 3 }
scheduled_instances = { min = 0, max = 3 }

log_level = "debug"
