"""The recorded history of notebook jobs, and its Prometheus text form (pure).

Both sinks work the same way: read the series already recorded (a textfile, or a Pushgateway
group), `apply` one run's outcome, write everything back. Counters therefore keep counting
across runs of a short-lived wrapper, which has no memory of its own. A job that has run once
gets both `result` series, so `rate()` over failures is defined from its first run on.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.parser import text_string_to_metric_families

from exporter.jobs import naming as n


@dataclass(frozen=True, slots=True)
class Outcome:
    """One finished run. `finished` is Unix time; `exit_code` is what a shell would report."""

    job: str
    exit_code: int
    duration: float
    finished: float
    reason: str = ""  # "timeout", "signal", "not_found", ... for the wrapper's own log line

    @property
    def result(self) -> str:
        return n.RESULT_SUCCESS if self.exit_code == 0 else n.RESULT_FAILURE


@dataclass(frozen=True, slots=True)
class JobState:
    runs: dict[tuple[str, str], float] = field(default_factory=dict)
    duration: dict[str, float] = field(default_factory=dict)
    last_success: dict[str, float] = field(default_factory=dict)

    def jobs(self) -> list[str]:
        return sorted({job for job, _ in self.runs} | set(self.duration)
                      | set(self.last_success))


def apply(state: JobState, outcome: Outcome) -> JobState:
    runs = dict(state.runs)
    for result in n.RESULTS:
        runs.setdefault((outcome.job, result), 0.0)
    runs[(outcome.job, outcome.result)] += 1
    last = dict(state.last_success)
    if outcome.result == n.RESULT_SUCCESS:
        last[outcome.job] = outcome.finished
    return JobState(runs, {**state.duration, outcome.job: outcome.duration}, last)


class ParseError(ValueError):
    """The recorded text is not valid exposition; its counts cannot be trusted."""


def parse(text: str, only: dict[str, str] | None = None) -> JobState:
    """Our three families from exposition text; other families are ignored.

    `only`: extra labels a sample must carry (a Pushgateway's grouping labels), so another
    group's samples in the same text are not mistaken for ours.
    """
    state = JobState()
    try:
        families = list(text_string_to_metric_families(text))
    except (ValueError, TypeError, IndexError) as exc:
        raise ParseError(str(exc)) from None
    for family in families:
        for sample in family.samples:
            labels = sample.labels
            if only and any(labels.get(k) != v for k, v in only.items()):
                continue
            job = labels.get(n.LABEL_NOTEBOOK_JOB)
            if job is None:
                continue
            if sample.name == n.JOB_RUNS.name and labels.get("result") in n.RESULTS:
                state.runs[(job, labels["result"])] = float(sample.value)
            elif sample.name == n.JOB_DURATION.name:
                state.duration[job] = float(sample.value)
            elif sample.name == n.JOB_LAST_SUCCESS.name:
                state.last_success[job] = float(sample.value)
    return state


def restrict(state: JobState, job: str) -> JobState:
    """Only `job`'s series (a Pushgateway group holds one job)."""
    return JobState({k: v for k, v in state.runs.items() if k[0] == job},
                    {k: v for k, v in state.duration.items() if k == job},
                    {k: v for k, v in state.last_success.items() if k == job})


def families(state: JobState) -> Iterator[Metric]:
    runs = CounterMetricFamily(n.JOB_RUNS.name.removesuffix("_total"), n.JOB_RUNS.help,
                               labels=n.JOB_RUNS.labels)
    for (job, result), value in sorted(state.runs.items()):
        runs.add_metric([job, result], value)
    yield runs
    for spec, values in ((n.JOB_DURATION, state.duration),
                         (n.JOB_LAST_SUCCESS, state.last_success)):
        gauge = GaugeMetricFamily(spec.name, spec.help, labels=spec.labels)
        for job, value in sorted(values.items()):
            gauge.add_metric([job], value)
        yield gauge


class _Fixed:
    """A prometheus_client collector serving one fixed state."""

    def __init__(self, state: JobState) -> None:
        self._state = state

    def collect(self) -> Iterable[Metric]:
        return families(self._state)


def registry(state: JobState) -> CollectorRegistry:
    reg = CollectorRegistry(auto_describe=False)
    reg.register(_Fixed(state))  # type: ignore[arg-type]
    return reg


def render(state: JobState) -> str:
    return generate_latest(registry(state)).decode()
