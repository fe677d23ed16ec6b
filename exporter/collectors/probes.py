"""Synthetic probe results: kernel start latency and outcomes, save round trip and outcomes,
and the probe kernels still alive on each target.

`jupyter_probe_kernels` counts the kernels of the last poll that are probe kernels: those this
exporter created recently (it notes each id as soon as the POST answers) and any kernel of a
session under the probe path, which also catches kernels an earlier, SIGKILLed run left
behind. A probe kernel lives about a second, so the gauge reads 0, or 1 when a poll lands
mid-probe; a value that stays above that means deletes fail (alert
JupyterProbeKernelsPilingUp). It is written where the rest of the start probe's series are:
for every reachable target while probes run, and for any target where one is found.
"""

from __future__ import annotations

from exporter import naming
from exporter.collectors.base import ExporterView, Rendered, add, add_histogram, family
from exporter.probes.kernel import probe_kernel_ids
from exporter.state import Histogram, TargetState


def live_probe_kernels(target: TargetState) -> int:
    """Probe kernels in the target's last kernel list; 0 before the first successful poll."""
    if target.view is None:
        return 0
    probes = target.probe_kernels | probe_kernel_ids(target.view.sessions)
    return len({k.id for k in target.view.kernels} & probes)


def render_kernel_probe(view: ExporterView) -> Rendered:
    startup, attempts = family(naming.KERNEL_STARTUP), family(naming.KERNEL_STARTUP_ATTEMPTS)
    alive = family(naming.PROBE_KERNELS)
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
        left = live_probe_kernels(target)
        if target.up and (view.probes_enabled or left):
            add(alive, (target.name,), left)
    return Rendered((startup, attempts, alive))


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
