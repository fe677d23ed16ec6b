"""jupyter-scheduler jobs as the notebook-job series, with the `server` label added.

A server without the scheduler (404) writes no series. Both result series of a job are
written from its first sighting at zero (`exporter.scheduler_jobs.fold`).
"""

from __future__ import annotations

from exporter import naming
from exporter.collectors.base import ExporterView, Rendered, add, family


def render(view: ExporterView) -> Rendered:
    runs = family(naming.SCHEDULER_JOB_RUNS)
    duration = family(naming.SCHEDULER_JOB_DURATION)
    last = family(naming.SCHEDULER_JOB_LAST_SUCCESS)
    for target in view.targets:
        jobs = target.jobs
        for (name, result), value in sorted(jobs.runs.items()):
            add(runs, (target.name, name, result), value)
        for name, (_, seconds) in sorted(jobs.duration.items()):
            add(duration, (target.name, name), seconds)
        for name, at in sorted(jobs.last_success.items()):
            add(last, (target.name, name), at)
    return Rendered((runs, duration, last))
