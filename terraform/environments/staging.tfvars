# staging: scale to zero, at most 10 instances; behind the load balancer so canaries rehearse there first.
project_id  = "strata-staging-000000"
environment = "staging"
region      = "europe-west1"
api_domain  = "api.staging.strata.example.com"

state_api_instances = { min = 0, max = 10 }
scheduled_instances = { min = 0, max = 10 }
