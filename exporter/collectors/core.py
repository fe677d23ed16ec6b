"""Runs the enabled collectors and adds the exporter's own series.

Self series are always on: availability (`jupyter_up`), target info, build info, poll errors
(every reason pre-created at zero), last-poll time, event stream state, the fleet's size,
Hub listing state and poll cycle time, and per collector success and duration
(node_exporter's scrape_collector_* habit). A collector that raises is reported with
success 0 and skipped; the scrape still succeeds.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping

from prometheus_client.core import Metric

from exporter import naming
from exporter.collectors import (
    crashes,
    gpu,
    kernels,
    node,
    notebooks,
    probes,
    resources,
    scheduler,
    server_metrics,
)
from exporter.collectors.base import ExporterView, Render, Rendered, add, family

log = logging.getLogger("exporter.collect")

COLLECTORS: Mapping[str, Render] = {
    naming.COLLECTOR_KERNELS: kernels.render,
    naming.COLLECTOR_CRASHES: crashes.render,
    naming.COLLECTOR_KERNEL_PROBE: probes.render_kernel_probe,
    naming.COLLECTOR_SAVE_PROBE: probes.render_save_probe,
    naming.COLLECTOR_SERVER_METRICS: server_metrics.render,
    naming.COLLECTOR_KERNEL_RESOURCES: resources.render,
    naming.COLLECTOR_GPU: gpu.render,
    naming.COLLECTOR_NODE: node.render,
    naming.COLLECTOR_NOTEBOOK_SIZE: notebooks.render_sizes,
    naming.COLLECTOR_NOTEBOOK_PATHS: notebooks.render_paths,
    naming.COLLECTOR_NOTEBOOK_SECRETS: notebooks.render_secrets,
    naming.COLLECTOR_SCHEDULER_JOBS: scheduler.render,
}


def self_metrics(view: ExporterView) -> Iterable[Metric]:
    up, info = family(naming.UP), family(naming.TARGET_INFO)
    errors, last = family(naming.POLL_ERRORS), family(naming.LAST_POLL)
    stream, events = family(naming.EVENT_STREAM_UP), family(naming.EVENTS)
    build, targets = family(naming.BUILD_INFO), family(naming.TARGETS)
    add(build, (view.version,), 1)
    add(targets, (), len(view.targets))
    fleet = [targets]
    if view.hub_up is not None:
        hub = family(naming.HUB_UP)
        add(hub, (), 1 if view.hub_up else 0)
        fleet.append(hub)
    if view.poll_cycle_seconds is not None:
        cycle = family(naming.POLL_CYCLE)
        add(cycle, (), view.poll_cycle_seconds)
        fleet.append(cycle)
    for target in view.targets:
        add(up, (target.name,), 1 if target.up else 0)
        if target.view is not None:
            add(info, (target.name, target.view.version), 1)
        for reason in naming.POLL_ERROR_REASONS:
            add(errors, (target.name, reason), target.poll_errors.get(reason, 0))
        if target.last_poll is not None:
            add(last, (target.name,), target.last_poll)
        add(stream, (target.name,), 1 if target.stream_up else 0)
        for outcome in naming.EVENT_OUTCOMES:
            add(events, (target.name, outcome), target.events.get(outcome, 0))
    return (up, info, build, errors, last, stream, events, *fleet)


def collect(view: ExporterView, enabled: Iterable[str]) -> list[Metric]:
    out: list[Metric] = list(self_metrics(view))
    success, duration = family(naming.COLLECTOR_SUCCESS), family(naming.COLLECTOR_DURATION)
    for name in sorted(enabled):
        start = time.perf_counter()
        try:
            rendered: Rendered = COLLECTORS[name](view)
        except Exception:  # a bug in one collector must not fail the scrape
            log.exception("collector failed", extra={"collector": name})
            rendered = Rendered((), ok=False)
        out.extend(rendered.families)
        add(success, (name,), 1 if rendered.ok else 0)
        add(duration, (name,), time.perf_counter() - start)
    return [*out, success, duration]
