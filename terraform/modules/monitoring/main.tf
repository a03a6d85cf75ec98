# Placeholder: the metrics engineer's log-based metrics, dashboards and alert policies replace this file on merge.
