"""The single internal SLO model every spec format is converted into.

Conventions: frozen dataclasses, no YAML, files or validation library in sight. Label and
annotation maps are plain dicts that nobody mutates after loading. Objectives keep two forms:
`objective` is the exact `Decimal` written in the spec (default mode prints it), and
`objective_float` is the float64 Go would parse (`--compat sloth` prints Go's digits of it).
`locations` maps a field path (for example `("sli", "events", "error_query")`) to where the
user wrote it, so validation can point at the line at fault.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum
from typing import Any

from slo.yamlsource import Location


class SpecKind(Enum):
    """The spec format an SLO came from; Sloth reports it as `sloth_spec`."""

    NATIVE_V1 = "jupyter-slo/v1"
    SLOTH_V1 = "prometheus/v1"
    SLOTH_K8S = "sloth.slok.dev/v1"
    OPENSLO_V1ALPHA = "openslo/v1alpha"
    OPENSLO_V1 = "openslo/v1"


@dataclass(frozen=True)
class EventsSLI:
    """Errors and totals as two queries with a `{{.window}}` placeholder."""

    error_query: str
    total_query: str


@dataclass(frozen=True)
class RawSLI:
    """An error-ratio query (0..1) with a `{{.window}}` placeholder."""

    error_ratio_query: str


@dataclass(frozen=True)
class LatencySLI:
    """Slow requests of a histogram: total minus the bucket at `threshold` seconds.

    `le` is the bucket's label value exactly as the producer writes it (prometheus_client
    writes `30.0`, Go's client `30`), since Prometheus 2.x compares it as text.
    `extra_errors`, when set, is a query (with `{{.window}}`) of events that failed outright
    (a probe that timed out has no latency); they count as errors and as events.
    `total_query`, when set, counts every event instead (for example all probe attempts), so
    the SLI exists even while nothing succeeds and the histogram has no series yet.
    Missing parts count as zero through `or (0 * (total))`, which keeps the total's labels.
    """

    metric: str
    threshold: Decimal
    le: str
    matchers: str = ""
    extra_errors: str = ""
    total_query: str = ""

    def as_events(self) -> EventsSLI:
        inner = f"{{{self.matchers}}}" if self.matchers else ""
        bucket_matchers = f"{self.matchers}," if self.matchers else ""
        count = f"sum(rate({self.metric}_count{inner}[{{{{.window}}}}]))"
        fast = (f"sum(rate({self.metric}_bucket{{{bucket_matchers}le=\"{self.le}\"}}"
                "[{{.window}}]))")
        slow = f"({count} - {fast})"
        if self.total_query:
            zero = f"(0 * ({self.total_query}))"
            errors = f"({slow} or {zero})"
            if self.extra_errors:
                errors += f" + (({self.extra_errors}) or {zero})"
            return EventsSLI(errors, self.total_query)
        if not self.extra_errors:
            return EventsSLI(slow, count)
        extra = f" + (({self.extra_errors}) or (0 * ({count})))"
        return EventsSLI(slow + extra, count + extra)


SLI = EventsSLI | RawSLI | LatencySLI


@dataclass(frozen=True)
class Alert:
    """One of the two burn-rate alerts (page or ticket) after merging shared settings."""

    disable: bool = False
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Alerting:
    """Burn-rate alerting; the guards below exist only in the native format.

    `min_events`: a tier fires only with at least this many events in its long window.
    `no_data`: add an alert for an SLI that returns nothing, with a `for` derived from the
    budget (the time a full outage takes to page).
    """

    name: str = ""
    page: Alert = Alert()
    ticket: Alert = Alert()
    for_: str = ""
    keep_firing_for: str = ""
    min_events: int = 0
    no_data: bool = False


@dataclass(frozen=True)
class PluginRef:
    """An SLO plugin in a chain: Sloth's `{id, priority, config}`."""

    id: str
    priority: int = 0
    config: Any = None
    location: Location | None = None


@dataclass(frozen=True)
class PluginChain:
    override_previous: bool = False
    chain: tuple[PluginRef, ...] = ()


@dataclass(frozen=True)
class SLO:
    id: str
    name: str
    service: str
    objective: Decimal | None  # None only when the spec's value was missing or unreadable
    objective_float: float
    sli: SLI | None
    description: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    alerting: Alerting = Alerting()
    period_ms: int | None = None
    # Evaluation interval for the slow rules (windows of a day or more, the period and the
    # metadata), which then move to a group of their own; empty: Prometheus' global interval.
    slow_interval: str = ""
    plugins: PluginChain = PluginChain()
    locations: dict[tuple[Any, ...], Location] = field(default_factory=dict, compare=False)

    def loc(self, *path: Any) -> Location | None:
        """Where the deepest known part of `path` was written."""
        for end in range(len(path), -1, -1):
            if path[:end] in self.locations:
                return self.locations[path[:end]]
        return None


@dataclass(frozen=True)
class K8sMeta:
    """The `metadata` a Kubernetes spec carries over to the generated PrometheusRule."""

    name: str = ""
    namespace: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SLOGroup:
    """One spec document: the SLOs it declares and what the output needs to know about it."""

    kind: SpecKind
    slos: tuple[SLO, ...]
    location: Location
    plugins: PluginChain = PluginChain()
    k8s: K8sMeta | None = None
