"""Immutable values that flow from the sources to the collectors.

Conventions: every class is a frozen, slotted dataclass; times are Unix seconds (float) as
read from the exporter's clock when the data arrived, except `Kernel.last_activity`, which
is the server's own timestamp. Mappings inside frozen values are never mutated after
construction; updates build new values (see `exporter.state`).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Kernel:
    id: str
    name: str
    execution_state: str
    connections: int
    last_activity: float | None


@dataclass(frozen=True, slots=True)
class Session:
    id: str
    path: str
    kernel_id: str | None


@dataclass(frozen=True, slots=True)
class RequestCounts:
    """Cumulative counts read from the server's own `http_request_duration_seconds`."""

    user_restarts: float
    saves_success: float
    saves_failure: float
    auth_failures: float
    deletes: float  # kernel and session DELETEs that succeeded: the no-event fallback


@dataclass(frozen=True, slots=True)
class ServerView:
    """One successful poll of a target's REST API."""

    version: str
    started: float | None
    last_activity: float | None
    kernels: tuple[Kernel, ...]
    sessions: tuple[Session, ...]
    terminals: int | None  # None where the terminals API is absent
    kernelspecs: frozenset[str]
    request_counts: RequestCounts | None  # None where /metrics could not be read


@dataclass(frozen=True, slots=True)
class PollResult:
    """Outcome of one poll cycle: a view, or the reason it failed."""

    at: float
    view: ServerView | None
    error: str | None = None  # one of naming.POLL_ERROR_REASONS
    metrics_error: str | None = None  # reason /metrics could not be read, if it could not
    detail: str = ""  # our own short description of a failure: path and status, no secrets


@dataclass(frozen=True, slots=True)
class KernelEvent:
    """A validated kernel_actions event, stamped with the time it was received."""

    action: str  # start | restart | shutdown | interrupt
    status: str  # success | error
    kernel_id: str
    kernel_name: str
    received: float


@dataclass(frozen=True, slots=True)
class ProbeOutcome:
    result: str  # one of naming.PROBE_RESULTS
    seconds: float
    kernel_name: str
    detail: str = ""
