"""Per-target state the collectors render: frozen values, replaced whole on every update.

Only `exporter.engine` swaps these values, on the event loop; a scrape reads whatever value
is current, so it never waits on a server and never sees a half-applied update.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from exporter import naming
from exporter.accounting import Accounting
from exporter.histogram import Histogram
from exporter.model import PollResult, ServerView
from exporter.notebooks.stats import NotebookStats
from exporter.scheduler_jobs import SchedulerJobs


@dataclass(frozen=True, slots=True)
class ProbeStats:
    startup: Mapping[str, Histogram] = field(default_factory=dict)  # by kernel_name
    attempts: Mapping[tuple[str, str], int] = field(default_factory=dict)  # (name, result)
    save_seconds: Histogram = field(
        default_factory=lambda: Histogram(naming.SAVE_PROBE_BUCKETS))
    saves: Mapping[str, int] = field(default_factory=dict)  # result


@dataclass(frozen=True, slots=True)
class TargetState:
    name: str
    up: bool = False
    view: ServerView | None = None
    last_poll: float | None = None  # last successful poll
    last_error: str | None = None
    metrics_error: str | None = None
    poll_errors: Mapping[str, int] = field(default_factory=dict)
    accounting: Accounting = field(default_factory=Accounting)
    probes: ProbeStats = field(default_factory=ProbeStats)
    stream_up: bool = False
    events: Mapping[str, int] = field(default_factory=dict)
    probe_kernels: frozenset[str] = frozenset()  # the exporter's own, in flight or recent
    notebooks: NotebookStats = field(default_factory=NotebookStats)
    jobs: SchedulerJobs = field(default_factory=SchedulerJobs)


def apply_poll(state: TargetState, result: PollResult,
               accounting: Accounting | None = None) -> TargetState:
    """A poll's outcome; the view is kept on failure so the page can say what was last seen.
    `accounting`: the accounting after a successful poll, set in the same copy."""
    if result.view is None:
        reason = result.error or naming.REASON_BAD_PAYLOAD
        errors = dict(state.poll_errors)
        errors[reason] = errors.get(reason, 0) + 1
        return replace(state, up=False, last_error=reason, poll_errors=errors)
    return replace(state, up=True, view=result.view, last_poll=result.at, last_error=None,
                   metrics_error=result.metrics_error,
                   accounting=state.accounting if accounting is None else accounting)


def record_startup_probe(state: TargetState, kernel_name: str, result: str,
                         seconds: float) -> TargetState:
    """Only successes enter the histogram: a timeout's duration is the timeout, not a start."""
    probes = state.probes
    attempts = dict(probes.attempts)
    attempts[(kernel_name, result)] = attempts.get((kernel_name, result), 0) + 1
    startup = dict(probes.startup)
    if result == naming.PROBE_SUCCESS:
        hist = startup.get(kernel_name, Histogram(naming.KERNEL_STARTUP_BUCKETS))
        startup[kernel_name] = hist.observe(seconds)
    return replace(state, probes=replace(probes, attempts=attempts, startup=startup))


def record_save_probe(state: TargetState, result: str, seconds: float) -> TargetState:
    probes = state.probes
    saves = dict(probes.saves)
    saves[result] = saves.get(result, 0) + 1
    hist = probes.save_seconds.observe(seconds) if result == naming.SAVE_SUCCESS \
        else probes.save_seconds
    return replace(state, probes=replace(probes, saves=saves, save_seconds=hist))


def count_event(state: TargetState, outcome: str) -> TargetState:
    events = dict(state.events)
    events[outcome] = events.get(outcome, 0) + 1
    return replace(state, events=events)
