"""A scripted NVML backend for tests: devices, processes and failures, raising pynvml's own
error classes (nvidia-ml-py imports without a GPU, and its exceptions construct without the
library), so the reader is tested against the exact types the real library raises."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pynvml


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


@dataclass
class FakeNvml:
    gpus: list[FakeGpu] = field(default_factory=list)
    init_error: type[pynvml.NVMLError] | None = None
    driver: str = "580.82.07"
    calls: list[str] = field(default_factory=list)

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
