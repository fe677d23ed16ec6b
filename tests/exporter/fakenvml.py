"""A scripted NVML backend for tests: devices, processes and failures, raising pynvml's own
error classes (nvidia-ml-py imports without a GPU, and its exceptions construct without the
library), so the reader is tested against the exact types the real library raises.

Events: `inject_xid(index, code)` queues an XID event on a GPU and `inject_error(cls)` a
failed wait; `wait_event` blocks on that queue for up to its timeout and then raises
`NVMLError_Timeout`, as nvmlEventSetWait_v2 does, so the event thread runs its real loop.
"""

from __future__ import annotations

import queue
from dataclasses import dataclass, field
from typing import Any

import pynvml

from exporter.sources.nvml import NvmlEvent


@dataclass
class FakeGpu:
    uuid: str
    name: str = "NVIDIA H100 80GB HBM3"
    utilization: tuple[int, int] = (50, 25)
    memory: tuple[int, int, int] = (80 << 30, 77 << 30, 3 << 30)
    temperature: int = 40
    power_mw: int = 100_500
    energy_mj: int = 12_345_000
    ecc: tuple[int, int] | None = (0, 0)  # None: ECC off (NotSupported)
    processes: list[tuple[int, int | None]] = field(default_factory=list)
    lost: bool = False  # every call raises GpuIsLost
    events_error: type[pynvml.NVMLError] | None = None  # registering for events raises it


@dataclass
class FakeNvml:
    gpus: list[FakeGpu] = field(default_factory=list)
    init_error: type[pynvml.NVMLError] | None = None
    driver: str = "580.82.07"
    calls: list[str] = field(default_factory=list)
    count_error: type[pynvml.NVMLError] | None = None  # nvmlDeviceGetCount raises it
    event_set_error: type[pynvml.NVMLError] | None = None  # nvmlEventSetCreate raises it
    events: queue.Queue[NvmlEvent | type[pynvml.NVMLError]] = field(
        default_factory=queue.Queue)
    registered: list[int] = field(default_factory=list)  # GPU indexes, in the event set
    freed: int = 0  # event sets freed

    def _gpu(self, handle: Any, what: str) -> FakeGpu:
        self.calls.append(what)
        gpu = self.gpus[handle]
        if gpu.lost:
            raise pynvml.NVMLError_GpuIsLost()
        return gpu

    def init(self) -> None:
        self.calls.append("init")
        if self.init_error is not None:
            raise self.init_error()

    def shutdown(self) -> None:
        self.calls.append("shutdown")

    def driver_version(self) -> str:
        return self.driver

    def device_count(self) -> int:
        if self.count_error is not None:
            raise self.count_error()
        return len(self.gpus)

    def handle(self, index: int) -> Any:
        return index

    def uuid(self, handle: Any) -> str:
        return self._gpu(handle, "uuid").uuid

    def name(self, handle: Any) -> str:
        return self._gpu(handle, "name").name

    def utilization(self, handle: Any) -> tuple[int, int]:
        return self._gpu(handle, "utilization").utilization

    def memory(self, handle: Any) -> tuple[int, int, int]:
        return self._gpu(handle, "memory").memory

    def temperature(self, handle: Any) -> int:
        return self._gpu(handle, "temperature").temperature

    def power_milliwatts(self, handle: Any) -> int:
        return self._gpu(handle, "power").power_mw

    def energy_millijoules(self, handle: Any) -> int:
        return self._gpu(handle, "energy").energy_mj

    def ecc_errors(self, handle: Any, corrected: bool) -> int:
        ecc = self._gpu(handle, "ecc").ecc
        if ecc is None:
            raise pynvml.NVMLError_NotSupported()
        return ecc[0] if corrected else ecc[1]

    def compute_processes(self, handle: Any) -> list[tuple[int, int | None]]:
        return list(self._gpu(handle, "processes").processes)

    # --- events ------------------------------------------------------------------------
    def inject_xid(self, index: int, code: int,
                   event_type: int = pynvml.nvmlEventTypeXidCriticalError) -> None:
        self.events.put(NvmlEvent(index, event_type, code))

    def inject_error(self, error: type[pynvml.NVMLError]) -> None:
        self.events.put(error)

    def handle_key(self, handle: Any) -> Any:
        return handle

    def event_set_create(self) -> Any:
        self.calls.append("event_set_create")
        if self.event_set_error is not None:
            raise self.event_set_error()
        return "event-set"

    def register_xid_events(self, handle: Any, event_set: Any) -> None:
        gpu = self._gpu(handle, "register")
        if gpu.events_error is not None:
            raise gpu.events_error()
        self.registered.append(handle)

    def wait_event(self, event_set: Any, timeout_ms: int) -> NvmlEvent:
        try:
            item = self.events.get(timeout=timeout_ms / 1000)
        except queue.Empty:
            raise pynvml.NVMLError_Timeout() from None
        if isinstance(item, type):
            raise item()
        return item

    def event_set_free(self, event_set: Any) -> None:
        self.calls.append("event_set_free")
        self.freed += 1
