"""jupyter-scheduler jobs as the notebook-job SLI: parsing its DescribeJob list and counting."""

from __future__ import annotations

from typing import Any

import pytest

from exporter import naming
from exporter.scheduler_jobs import (
    MAX_NAMES,
    OTHER,
    SchedulerJobs,
    fold,
    job_label,
    parse_job,
    parse_jobs,
)
from exporter.sources.parse import BadPayload

OK, FAIL = naming.JOB_RESULT_SUCCESS, naming.JOB_RESULT_FAILURE


def job(job_id: str, status: str, name: str = "nightly", start: int = 1_000_000,
        end: int | None = None, update: int = 1_005_000) -> dict[str, Any]:
    """A DescribeJob as `GET /scheduler/jobs` writes it (times in epoch milliseconds)."""
    item: dict[str, Any] = {"job_id": job_id, "name": name, "status": status,
                            "create_time": 900_000, "update_time": update,
                            "start_time": start, "input_filename": "report.ipynb",
                            "status_message": "cell quoted here: AKIAIOSFODNN7EXAMPLE"}
    if end is not None:
        item["end_time"] = end
    return item


@pytest.mark.parametrize("item, result, end", [
    pytest.param(job("a", "COMPLETED", end=1_004_000), OK, 1004.0,
                 id="COMPLETED is a success that ends at end_time"),
    pytest.param(job("a", "FAILED"), FAIL, 1005.0,
                 id="FAILED is a failure that ends at its last update"),
    pytest.param(job("a", "STOPPED"), FAIL, 1005.0, id="a STOPPED (killed) run is a failure"),
    pytest.param(job("a", "IN_PROGRESS"), None, None, id="a running job is not finished"),
    pytest.param({**job("a", "STOPPED"), "start_time": None}, None, None,
                 id="a STOPPED job that never started is a new job, not finished"),
    pytest.param(job("a", "QUEUED"), None, None, id="a queued job is not finished"),
])
def test_status_maps_to_result(item: dict, result: str | None, end: float | None) -> None:
    parsed = parse_job(item)
    assert (parsed.result, parsed.end if result else None) == (result, end)


@pytest.mark.parametrize("name, label", [
    pytest.param("nightly-report", "nightly-report", id="a plain name is kept"),
    pytest.param("reports/q3 run", "reports_q3_run", id="slashes and spaces become underscores"),
    pytest.param("", "unnamed", id="an empty name is named unnamed"),
    pytest.param(None, "unnamed", id="a missing name is named unnamed"),
    pytest.param("x" * 300, "x" * 128, id="a long name is cut to 128 characters"),
])
def test_job_label(name: object, label: str) -> None:
    assert job_label(name) == label


@pytest.mark.parametrize("payload", [
    pytest.param([], id="a bare list is refused"),
    pytest.param({"jobs": [{"name": "x"}]}, id="a job without id or status is refused"),
    pytest.param({"jobs": "many"}, id="jobs that are not a list are refused"),
])
def test_bad_payloads(payload: object) -> None:
    with pytest.raises(BadPayload):
        parse_jobs(payload)


def test_runs_finished_before_the_first_read_are_a_baseline() -> None:
    state = fold(SchedulerJobs(), parse_jobs({"jobs": [job("a", "COMPLETED", end=1_004_000),
                                                       job("b", "FAILED")]}))
    assert state.runs == {("nightly", OK): 0, ("nightly", FAIL): 0}
    assert state.last_success == {"nightly": 1004.0}
    assert state.duration["nightly"] == (1005.0, 5.0)


def test_each_finished_run_counts_once_and_running_ones_wait() -> None:
    state = fold(SchedulerJobs(), ())
    reads = [
        [{**job("a", "STOPPED"), "start_time": None}, job("b", "QUEUED")],
        [job("a", "IN_PROGRESS"), job("b", "QUEUED")],
        [job("a", "COMPLETED", end=1_002_000), job("b", "IN_PROGRESS")],
        [job("a", "COMPLETED", end=1_002_000), job("b", "STOPPED", update=1_009_000)],
        [job("a", "COMPLETED", end=1_002_000), job("b", "STOPPED", update=1_009_000)],
    ]
    for jobs in reads:
        state = fold(state, parse_jobs({"jobs": jobs}))
    assert state.runs == {("nightly", OK): 1, ("nightly", FAIL): 1}
    assert state.duration["nightly"] == (1009.0, 9.0)  # the newest run, the stopped one
    assert state.last_success == {"nightly": 1002.0}


def test_job_names_past_the_cap_are_counted_as_other() -> None:
    state = fold(SchedulerJobs(), ())
    jobs = [job(f"j{i}", "FAILED", name=f"n{i}") for i in range(MAX_NAMES + 3)]
    state = fold(state, parse_jobs({"jobs": jobs}))
    assert state.runs[(OTHER, FAIL)] == 3
    assert len({name for name, _ in state.runs}) == MAX_NAMES + 1
