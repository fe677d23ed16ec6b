"""Reading GPUs through an `NvmlBackend`: a small state machine that never raises.

Why it looks like this (research/gpu-node.md §3.3):
- NVML may be absent (no extra, no library, no driver, no permission). Then a read returns a
  snapshot whose `status` says why, with no devices; init is retried after `retry_after`
  seconds, because a driver container may come up after the exporter.
- A device that errors as a whole (lost, reset required, unknown) is skipped and counted in
  `failed_devices`; the other devices are still read.
- A field the device does not support (NotSupported, NoPermission, FunctionNotFound) is None,
  so its series is omitted rather than exported as 0 or a sentinel, and is not asked again.
- `Uninitialized` or a driver/library mismatch after a driver upgrade resets the state so
  the next read initialises again.
Reads are synchronous: the host sampler runs them in its single worker thread with a time
limit (NVML can hang in the driver). Clock values are monotonic seconds passed in.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Callable
from typing import Any

from exporter.model import GpuDevice, GpuProcess, GpuSnapshot
from exporter.sources.nvml import NvmlBackend, PynvmlBackend, nvml_errors

log = logging.getLogger("exporter.gpu")

STATUS_OK = "ok"
STATUS_NOT_INSTALLED = "not_installed"  # nvidia-ml-py missing: install the gpu extra
STATUS_TIMEOUT = "timeout"  # set by the host sampler when a read overran its limit
DEVICE_ERRORS = frozenset({"GpuIsLost", "ResetRequired", "Unknown", "GpuNotFound"})
FIELD_ERRORS = frozenset({"NotSupported", "NoPermission", "FunctionNotFound", "NotFound",
                          "NoData"})
REINIT_ERRORS = frozenset({"Uninitialized", "LibRmVersionMismatch", "DriverNotLoaded"})
MAX_DEVICES = 64


def error_kind(exc: BaseException) -> str:
    """`NVMLError_GpuIsLost` -> `GpuIsLost` (pynvml makes one subclass per return code)."""
    return type(exc).__name__.removeprefix("NVMLError_")


def status_of(exc: BaseException) -> str:
    """`LibraryNotFound` -> `library_not_found`, the value of the nvml status label and log."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", error_kind(exc)).lower()


class _DeviceLost(Exception):
    pass


class GpuReader:
    def __init__(self, backend_factory: Callable[[], NvmlBackend] = PynvmlBackend,
                 retry_after: float = 60.0) -> None:
        self._factory = backend_factory
        self.retry_after = retry_after
        self.backend: NvmlBackend | None = None
        self.initialised = False
        self.status = "uninitialised"
        self._next_try = 0.0
        self._unsupported: set[tuple[str, str]] = set()
        self._errors: tuple[type[BaseException], ...] = ()

    def _set_status(self, status: str) -> None:
        if status != self.status:
            level = logging.INFO if status == STATUS_OK else logging.WARNING
            log.log(level, "nvml status", extra={"status": status})
        self.status = status

    def _init(self, now: float) -> bool:
        if now < self._next_try:
            return False
        self._next_try = now + self.retry_after
        try:
            if self.backend is None:
                self.backend = self._factory()
                self._errors = nvml_errors() or (Exception,)
            self.backend.init()
        except ImportError:
            self._set_status(STATUS_NOT_INSTALLED)
            return False
        except Exception as exc:
            if not isinstance(exc, self._errors):
                raise
            self._set_status(status_of(exc))
            return False
        self.initialised = True
        self._unsupported.clear()
        return True

    def read(self, now: float) -> GpuSnapshot:
        if not self.initialised and not self._init(now):
            return GpuSnapshot(status=self.status)
        backend = self.backend
        assert backend is not None
        try:
            count = min(backend.device_count(), MAX_DEVICES)
            driver = self._field("", "driver", backend.driver_version) or ""
        except self._errors as exc:
            return self._lost_library(exc)
        devices, failed = [], 0
        for index in range(count):
            try:
                devices.append(self._device(backend, index))
            except _DeviceLost:
                failed += 1
            except self._errors as exc:
                if error_kind(exc) in REINIT_ERRORS:
                    return self._lost_library(exc)
                failed += 1
        self._set_status(STATUS_OK)
        return GpuSnapshot(STATUS_OK, tuple(devices), failed, driver)

    def _lost_library(self, exc: BaseException) -> GpuSnapshot:
        self.initialised = False
        self._next_try = 0.0  # retry at the next read: the library may simply need re-init
        self._set_status(status_of(exc))
        return GpuSnapshot(status=self.status)

    def _field(self, uuid: str, what: str, call: Callable[[], Any]) -> Any:
        if (uuid, what) in self._unsupported:
            return None
        try:
            return call()
        except self._errors as exc:
            kind = error_kind(exc)
            if kind in DEVICE_ERRORS:
                raise _DeviceLost(kind) from None
            if kind in REINIT_ERRORS:
                raise
            if kind in FIELD_ERRORS:
                self._unsupported.add((uuid, what))
            return None

    def _device(self, backend: NvmlBackend, index: int) -> GpuDevice:
        handle = backend.handle(index)
        uuid = backend.uuid(handle)

        def field(what: str, call: Callable[[], Any]) -> Any:
            return self._field(uuid, what, call)

        util = field("utilization", lambda: backend.utilization(handle))
        memory = field("memory", lambda: backend.memory(handle))
        temp = field("temperature", lambda: backend.temperature(handle))
        power = field("power", lambda: backend.power_milliwatts(handle))
        energy = field("energy", lambda: backend.energy_millijoules(handle))
        corrected = field("ecc", lambda: backend.ecc_errors(handle, True))
        uncorrected = field("ecc", lambda: backend.ecc_errors(handle, False)) \
            if corrected is not None else None
        procs = self._field("", "-", lambda: backend.compute_processes(handle)) or []
        return GpuDevice(
            index=index, uuid=uuid, name=field("name", lambda: backend.name(handle)) or "",
            utilization_ratio=None if util is None else util[0] / 100,
            memory_utilization_ratio=None if util is None else util[1] / 100,
            memory_total_bytes=None if memory is None else float(memory[0]),
            memory_free_bytes=None if memory is None else float(memory[1]),
            memory_used_bytes=None if memory is None else float(memory[2]),
            temperature_celsius=None if temp is None else float(temp),
            power_watts=None if power is None else power / 1000,
            energy_joules=None if energy is None else energy / 1000,
            ecc_corrected=None if corrected is None else float(corrected),
            ecc_uncorrected=None if uncorrected is None else float(uncorrected),
            processes=tuple(GpuProcess(pid, used) for pid, used in procs))

    def close(self) -> None:
        if self.initialised and self.backend is not None:
            with contextlib.suppress(self._errors):
                self.backend.shutdown()
        self.initialised = False
