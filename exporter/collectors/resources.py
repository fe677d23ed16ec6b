"""Per-kernel memory and CPU, and the memory idle kernels hold (the cost of idleness).

Joins the host sampler's kernel process trees with the targets' kernel lists: a kernel
appears only when a watched server lists it, which gives its `server` and `kernel_name`
labels; processes of other servers' kernels on the same host are left out. Probe kernels are
left out like everywhere else. Idle memory uses the same verdict as `jupyter_idle_kernels`
and has a sample for each (server, kernel_name) that gauge has, so the two divide cleanly.
"""

from __future__ import annotations

from collections.abc import Mapping

from exporter import naming
from exporter.collectors.base import ExporterView, Rendered, add, family
from exporter.collectors.kernels import is_idle, user_kernels
from exporter.model import Kernel, KernelUsage


def kernel_index(view: ExporterView) -> dict[str, tuple[str, Kernel]]:
    """kernel id -> (server label, kernel) over all targets' user kernels."""
    index: dict[str, tuple[str, Kernel]] = {}
    for target in view.targets:
        for kernel in user_kernels(target):
            index.setdefault(kernel.id, (target.name, kernel))
    return index


def render(view: ExporterView) -> Rendered:
    memory, cpu = family(naming.KERNEL_MEMORY), family(naming.KERNEL_CPU)
    idle = family(naming.IDLE_KERNEL_MEMORY)
    host = view.host
    if host is None or host.kernels is None:
        return Rendered((memory, cpu, idle), ok=False)
    usage: Mapping[str, KernelUsage] = {u.kernel_id: u for u in host.kernels}
    index = kernel_index(view)
    for kid in sorted(set(usage) & set(index)):
        server, kernel = index[kid]
        add(memory, (server, kid, kernel.name), usage[kid].rss_bytes)
        add(cpu, (server, kid, kernel.name), usage[kid].cpu_seconds)
    for target in view.targets:
        if not target.up or target.view is None:
            continue
        mine = user_kernels(target)
        held: dict[str, float] = dict.fromkeys(
            {k.name for k in mine} | set(target.view.kernelspecs), 0.0)
        for kernel in mine:
            if is_idle(kernel, view.now, view.idle_threshold) and kernel.id in usage:
                held[kernel.name] += usage[kernel.id].rss_bytes
        for name in sorted(held):
            add(idle, (target.name, name), held[name])
    return Rendered((memory, cpu, idle))
