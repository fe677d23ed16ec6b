"""Scheduled notebook jobs: `jupyter-slo job run` wraps one run and records its outcome.

Conventions: a run's outcome is `success` only when the command exited 0; a non-zero exit, a
kill by signal, a timeout or a command that cannot start is a `failure`. Metric names live in
`exporter.jobs.naming` (to be moved into `exporter/naming.py`). Outcomes go either to a
node_exporter textfile-collector file (`textfile`) or to a Pushgateway (`push`).
"""
