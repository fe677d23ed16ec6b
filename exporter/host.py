"""The host sampler: processes, node statistics and GPUs, read off the event loop.

Blocking reads (procfs, statvfs, NVML) run in two single-thread executors, one for procfs
and one for NVML, each bounded by a time limit. A read that overruns is abandoned, not
killed (a thread stuck in a C call cannot be), and no second read is started on that
executor while it is stuck: the part reports itself unavailable until the read returns.
So a wedged driver or a dead NFS mount costs one thread, never a growing pool or a blocked
event loop, and one part failing leaves the others served. The GPU reader's XID event thread
is its own (see exporter.sources.gpu); `close` stops it through the reader's `close`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from exporter.kernel_procs import kernel_usage
from exporter.model import GpuSnapshot, HostSnapshot, NodeStats, ProcInfo
from exporter.sources import node, procfs
from exporter.sources.gpu import STATUS_TIMEOUT, GpuReader

log = logging.getLogger("exporter.host")
T = TypeVar("T")


@dataclass
class _Lane:
    """One single-thread executor and the read in flight on it, if any."""

    name: str
    executor: ThreadPoolExecutor = field(init=False)
    busy: Future | None = None

    def __post_init__(self) -> None:
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=self.name)

    async def run(self, work: Callable[[], T], timeout: float) -> T | None:
        if self.busy is not None and not self.busy.done():
            return None  # still stuck in the previous read
        loop = asyncio.get_running_loop()
        future = self.executor.submit(work)
        self.busy = future
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future, loop=loop), timeout)
        except TimeoutError:
            log.warning("host read overran its time limit", extra={"part": self.name,
                                                                   "limit": timeout})
            return None


class HostSampler:
    def __init__(self, procfs_root: Path, rootfs: Path, *, processes: bool, node_stats: bool,
                 gpu: GpuReader | None, timeout: float,
                 clock: Callable[[], float] = time.time) -> None:
        self.procfs_root, self.rootfs = procfs_root, rootfs
        self.processes, self.node_stats, self.gpu = processes, node_stats, gpu
        self.timeout, self.clock = timeout, clock
        self._proc_lane, self._gpu_lane = _Lane("procfs"), _Lane("nvml")

    def _read_procfs(self) -> tuple[tuple[ProcInfo, ...] | None, NodeStats | None]:
        procs = stats = None
        if self.processes:
            procs = _guard("processes", lambda: procfs.read_processes(self.procfs_root))
        if self.node_stats:
            stats = _guard("node", lambda: node.read_node(self.procfs_root, self.rootfs))
        return procs, stats

    def _read_gpu(self) -> GpuSnapshot:
        assert self.gpu is not None
        return self.gpu.read(time.monotonic())

    async def sample(self) -> HostSnapshot:
        at = self.clock()
        parts = [self._proc_lane.run(self._read_procfs, self.timeout)]
        if self.gpu is not None:
            parts.append(self._gpu_lane.run(self._read_gpu, self.timeout))
        results = await asyncio.gather(*parts)
        procs, stats = results[0] or (None, None)
        gpu = None
        if self.gpu is not None:
            # XID counts come from the event thread, not the read: served even when it hung
            gpu = results[1] or GpuSnapshot(status=STATUS_TIMEOUT,
                                            xid_errors=self.gpu.xid_errors())
        kernels = kernel_usage(procs) if procs is not None else None
        return HostSnapshot(at=at, processes=procs, kernels=kernels, node=stats, gpu=gpu)

    def close(self) -> None:
        if self.gpu is not None:
            gpu = self.gpu
            self._gpu_lane.executor.submit(gpu.close)
        for lane in (self._proc_lane, self._gpu_lane):
            lane.executor.shutdown(wait=False, cancel_futures=True)


def _guard(part: str, read: Callable[[], Any]) -> Any:
    try:
        return read()
    except Exception:
        log.exception("host read failed", extra={"part": part})
        return None
