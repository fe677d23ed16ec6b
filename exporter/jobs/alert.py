"""The "job stale" alert: a job has not succeeded for longer than its schedule allows (pure).

`stale_rule(job, max_age)` returns one Prometheus alerting rule as a dict; `stale_group`
wraps several in a rule group and `render` gives the YAML text. The rule fires when

- the newest success of the job, over every host that records it (`max by (notebook_job)`),
  is older than `max_age` seconds, or
- the job has recorded runs but never a success.

A job that has never run at all has no series, so nothing can fire for it; add
`absent(jupyter_notebook_job_runs_total{notebook_job="..."})` yourself if a job must prove
it exists. Choose `max_age` as the schedule's interval plus the job's usual duration plus
slack (a daily job: about 26h). Severity is a ticket: a stale report is work for the team,
not an outage; route it with the same `sloth_severity` label as the other alerts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

from alerts.config import DEFAULT_RUNBOOK_BASE_URL
from alerts.naming import RUNBOOK_JOB_STALE, runbook_file
from exporter.jobs import naming as n
from slo.naming import LABEL_SEVERITY, SEVERITY_TICKET

DEFAULT_FOR = "5m"  # rides out one missed scrape of the textfile or Pushgateway
# alerts/runbooks/notebook-job-stale.md under the default (checkout-relative) base; pass your
# own `runbook_url` where runbooks are published elsewhere.
DEFAULT_RUNBOOK_URL = DEFAULT_RUNBOOK_BASE_URL + runbook_file(RUNBOOK_JOB_STALE)


def _seconds(max_age: float) -> str:
    return f"{max_age:g}"


def stale_expr(job: str, max_age: float) -> str:
    if not n.valid_job_name(job):
        raise ValueError(f"invalid job name {job!r}")
    if not max_age > 0:
        raise ValueError("max_age must be above zero seconds")
    sel = f'{{{n.LABEL_NOTEBOOK_JOB}="{job}"}}'
    by = f"max by ({n.LABEL_NOTEBOOK_JOB})"
    last = f"{by} ({n.JOB_LAST_SUCCESS.name}{sel})"
    runs = f"{by} ({n.JOB_RUNS.name}{sel})"
    return (f"time() - {last} > {_seconds(max_age)}\n"
            f"or\n"
            f"({runs} > 0 unless on ({n.LABEL_NOTEBOOK_JOB}) {last})\n")


def stale_rule(job: str, max_age: float, for_: str = DEFAULT_FOR,
               severity: str = SEVERITY_TICKET,
               runbook_url: str = DEFAULT_RUNBOOK_URL) -> dict[str, Any]:
    hours = max_age / 3600
    rule: dict[str, Any] = {
        "alert": n.ALERT_JOB_STALE,
        "expr": stale_expr(job, max_age),
        "for": for_,
        "labels": {LABEL_SEVERITY: severity, n.LABEL_NOTEBOOK_JOB: job},
        "annotations": {
            "summary": f"Notebook job {job} has not succeeded for over {hours:g}h",
            "description": (
                f"No successful run of scheduled notebook job {job} in the last "
                f"{_seconds(max_age)}s (its schedule allows {hours:g}h): the job is failing, "
                f"not running, or not recording ({n.JOB_RUNS.name} by result says which)."),
        },
    }
    if not for_:
        del rule["for"]
    if runbook_url:
        rule["annotations"]["runbook_url"] = runbook_url
    return rule


def stale_group(max_ages: Mapping[str, float], name: str = "jupyter-notebook-jobs",
                **rule_options: Any) -> dict[str, Any]:
    rules = [stale_rule(job, age, **rule_options) for job, age in sorted(max_ages.items())]
    return {"name": name, "rules": rules}


class _Dumper(yaml.SafeDumper):
    """Multi-line strings (the expressions) as `|` blocks, as people write rule files."""


def _str(dumper: yaml.SafeDumper, text: str) -> yaml.Node:
    style = "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_Dumper.add_representer(str, _str)


def render(max_ages: Mapping[str, float], **group_options: Any) -> str:
    """A whole rule file (`promtool check rules` accepts it)."""
    group = stale_group(max_ages, **group_options)
    return yaml.dump({"groups": [group]}, Dumper=_Dumper, sort_keys=False, width=100)
