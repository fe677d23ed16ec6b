"""What every collector shares: the read-only view it renders and the family helpers.

A collector is a pure function `ExporterView -> Rendered`: no I/O, no clock, no globals.
`Rendered.ok` is False when a source the collector needs was unavailable for some target;
what it could render is still returned (node_exporter's ContinueOnError habit).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)

from exporter import naming
from exporter.model import HostSnapshot
from exporter.naming import MetricSpec
from exporter.state import Histogram, TargetState


@dataclass(frozen=True, slots=True)
class ExporterView:
    targets: tuple[TargetState, ...]
    now: float
    idle_threshold: float
    version: str
    probe_kernel_name: str
    probes_enabled: bool
    host: HostSnapshot | None = None  # None until the host sampler's first read
    hub_up: bool | None = None  # None outside Hub mode
    poll_cycle_seconds: float | None = None  # None before the first full cycle


@dataclass(frozen=True, slots=True)
class Rendered:
    families: tuple[Metric, ...]
    ok: bool = True


Render = Callable[[ExporterView], Rendered]


def family(spec: MetricSpec) -> Metric:
    labels = list(spec.labels)
    if spec.type == naming.COUNTER:
        return CounterMetricFamily(spec.name, spec.help, labels=labels)
    if spec.type == naming.HISTOGRAM:
        return HistogramMetricFamily(spec.name, spec.help, labels=labels)
    return GaugeMetricFamily(spec.name, spec.help, labels=labels)


def add(metric: Metric, labels: Sequence[str], value: float) -> None:
    metric.add_metric(list(labels), float(value))  # type: ignore[attr-defined]


def add_histogram(metric: Metric, labels: Sequence[str], hist: Histogram) -> None:
    metric.add_metric(list(labels), buckets=hist.cumulative(),  # type: ignore[attr-defined]
                      sum_value=hist.sum)
