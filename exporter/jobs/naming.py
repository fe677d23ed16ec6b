"""Metric, label and alert names of the notebook-job SLI (issue 10), in one place.

Conventions follow `exporter/naming.py` (DESIGN.md "Exporter metrics"): `jupyter_` prefix,
base units, counters written with `_total`. The job label is `notebook_job`, never `job`,
which Prometheus sets to the scrape target's job. The metric names
themselves live in `exporter/naming.py` (the one place for metric names); this module adds
what only the job wrapper needs.
"""

from __future__ import annotations

import re

from alerts.naming import JOB_STALE
from exporter.naming import (  # re-exported for this package's modules
    JOB_DURATION,
    JOB_LAST_SUCCESS,
    JOB_METRICS,
    JOB_RUNS,
    LABEL_NOTEBOOK_JOB,
)
from exporter.naming import (
    JOB_RESULT_FAILURE as RESULT_FAILURE,
)
from exporter.naming import (
    JOB_RESULT_SUCCESS as RESULT_SUCCESS,
)
from exporter.naming import (
    JOB_RESULTS as RESULTS,
)

__all__ = [
    "ALERT_JOB_STALE", "JOB_DURATION", "JOB_LAST_SUCCESS", "JOB_METRICS", "JOB_RUNS",
    "LABEL_NOTEBOOK_JOB", "PUSH_JOB", "RESULTS", "RESULT_FAILURE", "RESULT_SUCCESS",
    "TEXTFILE_NAME", "valid_job_name",
]

# Alert name of the generated "job stale" rule; alert names live in alerts/naming.py.
ALERT_JOB_STALE = JOB_STALE

# The textfile-collector file all jobs on a host share, and the Pushgateway `job` grouping
# key (it becomes Prometheus' `job` label with `honor_labels: true`).
TEXTFILE_NAME = "jupyter_notebook_jobs.prom"
PUSH_JOB = "jupyter_notebook_jobs"

# Job names are label values chosen by the operator. No `/`, so a notebook path cannot slip
# into a label (DESIGN.md: no paths in labels), and nothing that needs quoting in PromQL.
_JOB_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$")


def valid_job_name(name: str) -> bool:
    return bool(_JOB_NAME.match(name))
