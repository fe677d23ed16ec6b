"""Run the real GPU collector once and print what it read, for a machine with a GPU.

Reads NVML through nvidia-ml-py (the `gpu` extra) with the exporter's own reader and host
sampler (same worker thread and time limit), then prints the NVML status, each device's
fields, the compute processes with the kernel each maps to (from /proc), and the exposition
the `gpu` collector renders. Exit 0 when NVML answered with at least one device, 1 otherwise.

Usage: python -m bench.gpu_check [--timeout 10]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import sys
from pathlib import Path

from exporter import naming
from exporter.app import render
from exporter.collectors.base import ExporterView
from exporter.host import HostSampler
from exporter.kernel_procs import by_pid, kernel_of
from exporter.sources.gpu import GpuReader


async def check(timeout: float) -> int:
    sampler = HostSampler(Path("/proc"), Path("/"), processes=True, node_stats=False,
                          gpu=GpuReader(retry_after=0.0), timeout=timeout)
    try:
        snap = await sampler.sample()
    finally:
        sampler.close()
    gpu = snap.gpu
    assert gpu is not None
    print(f"nvml status: {gpu.status}; driver {gpu.driver_version or '?'}; "
          f"devices read {len(gpu.devices)}, failed {gpu.failed_devices}")
    table = by_pid(snap.processes or ())
    for device in gpu.devices:
        fields = {k: v for k, v in dataclasses.asdict(device).items() if k != "processes"}
        print(f"gpu {device.index}: {fields}")
        for proc in device.processes:
            print(f"  pid {proc.pid}: {proc.used_bytes} bytes, "
                  f"kernel {kernel_of(proc.pid, table) or '-'}")
    view = ExporterView((), snap.at, 1800.0, "gpu-check", "python3", False, host=snap)
    body, _ = render(view, frozenset({naming.COLLECTOR_GPU}), None)
    print(body.decode(), end="")
    return 0 if gpu.status == "ok" and gpu.devices else 1


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.gpu_check", description=__doc__)
    p.add_argument("--timeout", type=float, default=10.0)
    args = p.parse_args(argv)
    return asyncio.run(check(args.timeout))


if __name__ == "__main__":
    sys.exit(main())
