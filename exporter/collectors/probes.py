"""Synthetic probe results: kernel start latency and outcomes, save round trip and outcomes."""

from __future__ import annotations

from exporter import naming
from exporter.collectors.base import ExporterView, Rendered, add, add_histogram, family
from exporter.state import Histogram


def render_kernel_probe(view: ExporterView) -> Rendered:
    startup, attempts = family(naming.KERNEL_STARTUP), family(naming.KERNEL_STARTUP_ATTEMPTS)
    for target in view.targets:
        probes = target.probes
        hists = dict(probes.startup)
        counts = dict(probes.attempts)
        if view.probes_enabled:
            hists.setdefault(view.probe_kernel_name, Histogram(naming.KERNEL_STARTUP_BUCKETS))
            for result in naming.PROBE_RESULTS:
                counts.setdefault((view.probe_kernel_name, result), 0)
        for name, hist in sorted(hists.items()):
            add_histogram(startup, (target.name, name), hist)
        for (name, result), value in sorted(counts.items()):
            add(attempts, (target.name, name, result), value)
    return Rendered((startup, attempts))


def render_save_probe(view: ExporterView) -> Rendered:
    seconds, saves = family(naming.PROBE_SAVE_SECONDS), family(naming.PROBE_SAVES)
    for target in view.targets:
        probes = target.probes
        if not view.probes_enabled and not probes.saves:
            continue
        add_histogram(seconds, (target.name,), probes.save_seconds)
        for result in naming.SAVE_RESULTS:
            add(saves, (target.name, result), probes.saves.get(result, 0))
    return Rendered((seconds, saves))
