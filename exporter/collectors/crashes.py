"""Kernel crashes by kind, from the accounting state (see exporter.accounting).

Series for every installed kernelspec and both kinds are written from the first poll, so a
rate() over crashes has a zero to start from. The collector reports failure while a target
runs on a fallback (no event stream, or no request metrics), whose counts carry a known error.
"""

from __future__ import annotations

from exporter import naming
from exporter.collectors.base import ExporterView, Rendered, add, family


def render(view: ExporterView) -> Rendered:
    crashes = family(naming.KERNEL_CRASHES)
    ok = True
    for target in view.targets:
        counts = dict(target.accounting.crashes)
        specs = target.view.kernelspecs if target.view is not None else frozenset()
        for name in specs:
            for kind in naming.CRASH_KINDS:
                counts.setdefault((name, kind), 0)
        for (name, kind), value in sorted(counts.items()):
            add(crashes, (target.name, name, kind), value)
        degraded = (not target.stream_up or target.view is None
                    or target.view.request_counts is None)
        ok = ok and target.up and not degraded
    return Rendered((crashes,), ok)
