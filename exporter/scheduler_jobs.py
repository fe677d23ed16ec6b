"""jupyter-scheduler runs as the notebook-job SLI: parsing its jobs list and counting (pure).

The API (jupyter_scheduler 2.x, `jupyter_scheduler/handlers.py` and `models.py`):
`GET /scheduler/jobs?sort_by=desc(update_time)&max_items=N` answers
`{"jobs": [DescribeJob...], "total_count": n, "next_token": ...}`. Each DescribeJob is one run:
`job_id`, `name`, `status` (CREATED, QUEUED, IN_PROGRESS, COMPLETED, FAILED, STOPPING,
STOPPED), and times in epoch milliseconds: `start_time` (set when it starts), `end_time`
(set only on COMPLETED) and `update_time` (every change, so the end of a FAILED or STOPPED
run). Jobs made from a job definition carry the definition's name.

Counting: COMPLETED is a success; FAILED and STOPPED (a user or the system killed it) are
failures, as `job run` counts a killed run. Observed: the ORM's default status is STOPPED, so
a job just created reads STOPPED until its executor starts it; a STOPPED job without a
`start_time` is therefore still waiting, not a failure. Runs already finished when the
exporter first reads a server are the baseline, like kernels already running: counters
start at zero, and
`rate()` handles that. The duration and last-success gauges do use that history. A run is
counted once, by id; the exporter remembers the last `SEEN_KEPT` counted ids per server, far
more than the `MAX_ITEMS` newest runs it reads per poll.

Labels: `notebook_job` is the job's name with every character outside `[A-Za-z0-9_.:-]`
replaced by `_` (so a `/` from a notebook path cannot slip in), cut to 128 characters; past
`MAX_NAMES` distinct names per server, further names are counted as `_other`. The
`status_message` of a failed job (which quotes the failing cell) is never read.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from exporter import naming
from exporter.sources.parse import BadPayload

MAX_ITEMS = 100
SEEN_KEPT = 2048
MAX_NAMES = 200
OTHER = "_other"
SUCCESS_STATUSES = frozenset({"COMPLETED"})
FAILURE_STATUSES = frozenset({"FAILED", "STOPPED"})
_BAD_CHARS = re.compile(r"[^A-Za-z0-9_.:-]")


@dataclass(frozen=True, slots=True)
class SchedulerJob:
    job_id: str
    name: str  # already a label value
    result: str | None  # naming.JOB_RESULT_*, None while not finished
    start: float | None  # seconds
    end: float | None  # seconds; end_time, else update_time for a failure


@dataclass(frozen=True, slots=True)
class SchedulerJobs:
    present: bool | None = None  # None: not read yet; False: no scheduler (404)
    baseline: bool = False
    seen: tuple[str, ...] = ()  # counted (or baseline) run ids, oldest first, capped
    runs: Mapping[tuple[str, str], int] = field(default_factory=dict)  # (name, result)
    duration: Mapping[str, tuple[float, float]] = field(default_factory=dict)  # name: (end, s)
    last_success: Mapping[str, float] = field(default_factory=dict)


def job_label(name: Any) -> str:
    text = _BAD_CHARS.sub("_", name.strip()) if isinstance(name, str) else ""
    return text[:128] or "unnamed"


def _ms(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return float(value) / 1000.0
    return None


def parse_job(item: Any) -> SchedulerJob:
    if not isinstance(item, dict):
        raise BadPayload("scheduler job: expected an object")
    job_id, status = item.get("job_id"), item.get("status")
    if not isinstance(job_id, str) or not 0 < len(job_id) <= 128 or not isinstance(status, str):
        raise BadPayload("scheduler job: no job_id or status")
    start = _ms(item.get("start_time"))
    result = (naming.JOB_RESULT_SUCCESS if status in SUCCESS_STATUSES
              else naming.JOB_RESULT_FAILURE if status in FAILURE_STATUSES else None)
    if status == "STOPPED" and start is None:
        result = None  # the ORM's default status: created, not started yet
    end = _ms(item.get("end_time"))
    if result == naming.JOB_RESULT_FAILURE:
        end = end or _ms(item.get("update_time"))
    return SchedulerJob(job_id, job_label(item.get("name")), result, start, end)


def parse_jobs(payload: Any) -> tuple[SchedulerJob, ...]:
    jobs = payload.get("jobs") if isinstance(payload, dict) else None
    if not isinstance(jobs, list) or len(jobs) > 10 * MAX_ITEMS:
        raise BadPayload("/scheduler/jobs: expected {\"jobs\": [...]}")
    return tuple(parse_job(item) for item in jobs)


def _name(names: set[str], name: str) -> str:
    if name in names or len(names) < MAX_NAMES:
        names.add(name)
        return name
    return OTHER


def fold(state: SchedulerJobs, jobs: tuple[SchedulerJob, ...]) -> SchedulerJobs:
    """The state after one successful read of the jobs list."""
    seen = list(state.seen)
    known = set(seen)
    runs = dict(state.runs)
    duration = dict(state.duration)
    last_success = dict(state.last_success)
    names = {n for n, _ in runs} | set(duration) | set(last_success)
    for job in sorted(jobs, key=lambda j: j.end or 0.0):
        if job.result is None:
            continue
        name = _name(names, job.name)
        if job.job_id not in known:
            known.add(job.job_id)
            seen.append(job.job_id)
            if state.baseline:
                runs[(name, job.result)] = runs.get((name, job.result), 0) + 1
        for result in naming.JOB_RESULTS:
            runs.setdefault((name, result), 0)
        if job.end is not None:
            if job.start is not None and job.end >= duration.get(name, (0.0, 0.0))[0]:
                duration[name] = (job.end, max(0.0, job.end - job.start))
            if job.result == naming.JOB_RESULT_SUCCESS:
                last_success[name] = max(job.end, last_success.get(name, 0.0))
    return replace(state, present=True, baseline=True, seen=tuple(seen[-SEEN_KEPT:]),
                   runs=runs, duration=duration, last_success=last_success)


def absent(state: SchedulerJobs) -> SchedulerJobs:
    """The server answered 404: no scheduler there (series of an earlier one are kept)."""
    return replace(state, present=False)
