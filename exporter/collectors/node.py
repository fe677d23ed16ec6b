"""Node statistics under `jupyter_node_*`, node_exporter's units and label names."""

from __future__ import annotations

from exporter import naming
from exporter.collectors.base import ExporterView, Rendered, add, family


def render(view: ExporterView) -> Rendered:
    node = view.host.node if view.host is not None else None
    if node is None:
        return Rendered((), ok=False)
    out = []
    cpu = family(naming.NODE_CPU)
    for mode, seconds in node.cpu_seconds:
        add(cpu, (mode,), seconds)
    out.append(cpu)
    for spec, value in ((naming.NODE_MEMORY_TOTAL, node.memory_total_bytes),
                        (naming.NODE_MEMORY_AVAILABLE, node.memory_available_bytes)):
        if value is not None:
            metric = family(spec)
            add(metric, (), value)
            out.append(metric)
    if node.load is not None:
        for spec, value in zip((naming.NODE_LOAD1, naming.NODE_LOAD5, naming.NODE_LOAD15),
                               node.load, strict=True):
            metric = family(spec)
            add(metric, (), value)
            out.append(metric)
    size, avail = family(naming.NODE_FS_SIZE), family(naming.NODE_FS_AVAIL)
    for fs in node.filesystems:
        add(size, (fs.device, fs.mountpoint, fs.fstype), fs.size_bytes)
        add(avail, (fs.device, fs.mountpoint, fs.fstype), fs.avail_bytes)
    out += [size, avail]
    pressure = {(resource, kind): seconds for resource, kind, seconds in node.pressure}
    for resource, kind, spec in naming.PRESSURE_SPECS:
        if (resource, kind) in pressure:  # absent where the kernel has no PSI
            metric = family(spec)
            add(metric, (), pressure[(resource, kind)])
            out.append(metric)
    return Rendered(tuple(out), ok=node.complete)
