"""GPU devices from NVML, and GPU memory per kernel.

Device series carry `gpu` (NVML index) and `uuid`; the product name and driver version sit
on `jupyter_gpu_info` only. A field NVML does not support is omitted, never written as 0.
Per-kernel memory maps each NVML compute process to the kernel whose process tree holds it
(walking up from the GPU process, see exporter.kernel_procs); memory of processes that
belong to no watched kernel is `jupyter_gpu_unattributed_memory_used_bytes`, so the
per-kernel and unattributed series sum to NVML's per-process total. `jupyter_gpu_devices`
is always written (0 where NVML is unavailable), and the collector reports failure then.
XID counts are written from the snapshot's own list, not per device read: they stay while a
GPU fails its reads, which is when they matter; a code's series appears with its first event.
"""

from __future__ import annotations

from collections import defaultdict

from exporter import naming
from exporter.collectors.base import ExporterView, Rendered, add, family
from exporter.collectors.resources import kernel_index
from exporter.kernel_procs import by_pid, kernel_of
from exporter.model import GpuDevice

_FIELDS = (
    (naming.GPU_UTILIZATION, "utilization_ratio"),
    (naming.GPU_MEMORY_UTILIZATION, "memory_utilization_ratio"),
    (naming.GPU_MEMORY_USED, "memory_used_bytes"),
    (naming.GPU_MEMORY_FREE, "memory_free_bytes"),
    (naming.GPU_MEMORY_TOTAL, "memory_total_bytes"),
    (naming.GPU_TEMPERATURE, "temperature_celsius"),
    (naming.GPU_POWER, "power_watts"),
    (naming.GPU_ENERGY, "energy_joules"),
)


def _labels(device: GpuDevice) -> tuple[str, str]:
    return str(device.index), device.uuid


def render(view: ExporterView) -> Rendered:
    devices_metric = family(naming.GPU_DEVICES)
    gpu = view.host.gpu if view.host is not None else None
    if gpu is None:
        add(devices_metric, (), 0)
        return Rendered((devices_metric,), ok=False)
    add(devices_metric, (), len(gpu.devices))
    info, ecc = family(naming.GPU_INFO), family(naming.GPU_ECC_ERRORS)
    fields = [(spec, attr, family(spec)) for spec, attr in _FIELDS]
    for device in gpu.devices:
        labels = _labels(device)
        add(info, (*labels, device.name, gpu.driver_version), 1)
        for _, attr, metric in fields:
            value = getattr(device, attr)
            if value is not None:
                add(metric, labels, value)
        for kind, value in ((naming.ECC_CORRECTED, device.ecc_corrected),
                            (naming.ECC_UNCORRECTED, device.ecc_uncorrected)):
            if value is not None:
                add(ecc, (*labels, kind), value)
    xid = family(naming.GPU_XID_ERRORS)
    for count in gpu.xid_errors:
        add(xid, (str(count.index), count.uuid, count.xid), count.count)
    per_kernel, unattributed = _attribute(view)
    return Rendered((devices_metric, info, *(m for _, _, m in fields), ecc, xid, unattributed,
                     per_kernel), ok=gpu.status == "ok" and gpu.failed_devices == 0)


def _attribute(view: ExporterView):
    per_kernel, unattributed = family(naming.KERNEL_GPU_MEMORY), \
        family(naming.GPU_UNATTRIBUTED_MEMORY)
    host = view.host
    assert host is not None and host.gpu is not None
    table = by_pid(host.processes or ())
    index = kernel_index(view)
    for device in host.gpu.devices:
        sums: dict[str, float] = defaultdict(float)
        loose = 0.0
        for proc in device.processes:
            if proc.used_bytes is None:
                continue
            kid = kernel_of(proc.pid, table)
            if kid is not None and kid in index:
                sums[kid] += proc.used_bytes
            else:
                loose += proc.used_bytes
        labels = _labels(device)
        add(unattributed, labels, loose)
        for kid in sorted(sums):
            server, kernel = index[kid]
            add(per_kernel, (server, kid, kernel.name, *labels), sums[kid])
    return per_kernel, unattributed
