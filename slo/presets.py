"""Jupyter SLI presets: named SLIs over the exporter's metrics and JupyterHub's own.

Each preset expands, at load time, into an ordinary SLI of the model; its queries are built
from `exporter.naming` (and JupyterHub's metric names below), so a renamed metric changes every
preset with it. `docs/presets.md` shows what each preset expands to; it is generated from this
module (`python -m slo.presets`) and checked for freshness by the tests.

Conventions: every query sums over all servers (`sum(rate(...))`) unless `matchers` narrows
it; `matchers` is a Prometheus label-matcher list without braces (`server="alice"`). A part
that may have no series yet counts as zero through `or (0 * (other part))`, never through
`vector(0)`, so an SLI with no data at all stays empty (and the no-data alert can see it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from exporter import naming as metrics
from slo.model import SLI, EventsSLI, LatencySLI

# JupyterHub's own metrics (jupyterhub/metrics.py): spawn duration histogram, labelled by
# `status`; buckets as JupyterHub declares them (prometheus_client writes `le` as a float).
HUB_SPAWN_DURATION = "jupyterhub_server_spawn_duration_seconds"
HUB_SPAWN_BUCKETS = (0.5, 1.0, 2.5, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 180.0, 300.0, 600.0)

# Histograms whose buckets we know, so a latency threshold can be checked at validate time.
KNOWN_BUCKETS: dict[str, tuple[float, ...]] = {
    metrics.KERNEL_STARTUP.name: metrics.KERNEL_STARTUP_BUCKETS,
    metrics.PROBE_SAVE_SECONDS.name: metrics.SAVE_PROBE_BUCKETS,
    HUB_SPAWN_DURATION: HUB_SPAWN_BUCKETS,
}

NOTEBOOK_JOB_RUNS = metrics.JOB_RUNS.name


class PresetError(ValueError):
    """A preset name or option that does not exist; the message says what does."""


def python_le(threshold: Decimal) -> str:
    """How prometheus_client writes a bucket bound: Python's float repr (`30.0`, `0.5`)."""
    return repr(float(threshold))


def _selector(matchers: str, *more: str) -> str:
    parts = [p for p in (matchers, *more) if p]
    return "{" + ",".join(parts) + "}" if parts else ""


def _rate(metric: str, matchers: str, *more: str) -> str:
    return f"sum(rate({metric}{_selector(matchers, *more)}[{{{{.window}}}}]))"


@dataclass(frozen=True)
class Preset:
    name: str
    description: str
    build: Callable[[str, Decimal | None], SLI]
    needs_threshold: bool = False


def _kernel_startup(matchers: str, threshold: Decimal | None) -> SLI:
    # Every probe attempt is an event, so a platform where no kernel starts at all (and the
    # latency histogram has no series) still has an SLI, at 100 % errors.
    assert threshold is not None
    attempts = metrics.KERNEL_STARTUP_ATTEMPTS.name
    failed = _rate(attempts, matchers,
                   f'{metrics.LABEL_RESULT}=~"{metrics.PROBE_FAILURE}|{metrics.PROBE_TIMEOUT}"')
    return LatencySLI(metrics.KERNEL_STARTUP.name, threshold, python_le(threshold), matchers,
                      extra_errors=failed, total_query=_rate(attempts, matchers))


def _kernel_crashes(matchers: str, _: Decimal | None) -> SLI:
    # Every crash (restart or death) is an error and also an event: a death can arrive
    # without a start the exporter saw (a kernel that died between polls), and the ratio
    # must stay within 0..1. A window with crashes and no new kernel is then no 0/0.
    crashes = _rate(metrics.KERNEL_CRASHES.name, matchers)
    starts = _rate(metrics.KERNEL_STARTS.name, matchers)
    return EventsSLI(crashes, f"({starts} or (0 * {crashes})) + ({crashes} or (0 * {starts}))")


def _saves(matchers: str, _: Decimal | None) -> SLI:
    return EventsSLI(
        _rate(metrics.CONTENTS_SAVES.name, matchers,
              f'{metrics.LABEL_RESULT}="{metrics.SAVE_FAILURE}"'),
        _rate(metrics.CONTENTS_SAVES.name, matchers))


def _availability(matchers: str, _: Decimal | None) -> SLI:
    # One event per poll sample: samples where the target was down are errors.
    up = f"{metrics.UP.name}{_selector(matchers)}"
    total = f"sum(count_over_time({up}[{{{{.window}}}}]))"
    return EventsSLI(f"({total} - sum(sum_over_time({up}[{{{{.window}}}}])))", total)


def _hub_spawn_success(matchers: str, _: Decimal | None) -> SLI:
    # Throttled and too-many-users spawns are the Hub protecting itself, not failures.
    count = f"{HUB_SPAWN_DURATION}_count"
    return EventsSLI(_rate(count, matchers, 'status="failure"'),
                     _rate(count, matchers, 'status=~"success|failure"'))


def _hub_spawn_latency(matchers: str, threshold: Decimal | None) -> SLI:
    assert threshold is not None
    success = ",".join(p for p in (matchers, 'status="success"') if p)
    return LatencySLI(HUB_SPAWN_DURATION, threshold, python_le(threshold), success)


def _notebook_jobs(matchers: str, _: Decimal | None) -> SLI:
    return EventsSLI(_rate(NOTEBOOK_JOB_RUNS, matchers,
                           f'{metrics.LABEL_RESULT}="{metrics.JOB_RESULT_FAILURE}"'),
                     _rate(NOTEBOOK_JOB_RUNS, matchers))


PRESETS: dict[str, Preset] = {p.name: p for p in (
    Preset("kernel-startup", "Synthetic kernel starts answering kernel_info within `threshold` "
           "seconds; failed and timed-out starts are bad.", _kernel_startup, True),
    Preset("kernel-crashes", "Kernel lifecycles that do not crash: errors are crashes "
           "(automatic restarts and deaths), events are kernel starts plus crashes, so crashes "
           "without new kernels are no 0/0 and the ratio never exceeds 1.", _kernel_crashes),
    Preset("notebook-saves", "User saves through the contents API that succeed (5xx are "
           "failures, 4xx are not counted).", _saves),
    Preset("server-availability", "Polls that found the Jupyter server's REST API up.",
           _availability),
    Preset("hub-spawn-success", "JupyterHub spawns that succeed (throttled and too-many-users "
           "spawns are not counted).", _hub_spawn_success),
    Preset("hub-spawn-latency", "Successful JupyterHub spawns faster than `threshold` seconds.",
           _hub_spawn_latency, True),
    Preset("notebook-jobs", "Scheduled notebook job runs that succeed.", _notebook_jobs),
)}


def expand(name: str, matchers: str, threshold: Decimal | None) -> SLI:
    preset = PRESETS.get(name)
    if preset is None:
        raise PresetError(f"unknown preset {name!r} (known: {', '.join(sorted(PRESETS))})")
    if preset.needs_threshold and threshold is None:
        raise PresetError(f"preset {name!r} needs a threshold (seconds)")
    if not preset.needs_threshold and threshold is not None:
        raise PresetError(f"preset {name!r} takes no threshold")
    return preset.build(matchers, threshold)


def reference() -> str:
    """Markdown: every preset and the queries it expands to (docs/presets.md)."""
    lines = ["# SLI presets", "", "Generated by `python -m slo.presets`; do not edit.", ""]
    for preset in PRESETS.values():
        sli = expand(preset.name, "", Decimal(30) if preset.needs_threshold else None)
        events = sli.as_events() if isinstance(sli, LatencySLI) else sli
        assert isinstance(events, EventsSLI)
        lines += [f"## `{preset.name}`", "", preset.description, ""]
        if preset.needs_threshold:
            lines += ["Shown with `threshold: 30`.", ""]
        lines += ["Errors:", "", "```promql", events.error_query, "```", "", "Events:", "",
                  "```promql", events.total_query, "```", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    print(reference(), end="")
