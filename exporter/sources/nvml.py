"""The small interface the GPU reader needs from NVML, and its real implementation.

`NvmlBackend` is what `exporter.sources.gpu` calls; `PynvmlBackend` maps it one to one onto
nvidia-ml-py (`import pynvml`, the `gpu` extra), converting nothing: units are NVML's (%,
bytes, °C, mW, mJ) and conversion happens in the reader. Every method may raise pynvml's
own `NVMLError_*` classes; tests use a fake backend that raises the same, real classes.
Importing this module never imports pynvml; constructing `PynvmlBackend` does, and raises
ImportError where the extra is not installed.

Events (XID errors) are the one blocking part: `wait_event` blocks in the driver for up to
`timeout_ms` and raises `NVMLError_Timeout` when nothing came, so only the reader's event
thread calls it (exporter.sources.gpu.XidWatcher). NVML is thread-safe, so that thread and
the read thread may call into it at the same time.
"""

from __future__ import annotations

import ctypes
from typing import Any, NamedTuple, Protocol

# nvmlEventTypeXidCriticalError: NVML's ABI value, so the reader need not import pynvml
# (a test pins it against pynvml's own constant).
EVENT_XID_CRITICAL_ERROR = 0x0000000000000008


class NvmlEvent(NamedTuple):
    """nvmlEventData_t as the watcher needs it: which device, which event, its payload."""

    handle: Any  # the device handle NVML put in the event
    event_type: int  # a bit of nvmlEventType*
    data: int  # for XID events, the XID code


class NvmlBackend(Protocol):
    def init(self) -> None: ...
    def shutdown(self) -> None: ...
    def driver_version(self) -> str: ...
    def device_count(self) -> int: ...
    def handle(self, index: int) -> Any: ...
    def uuid(self, handle: Any) -> str: ...
    def name(self, handle: Any) -> str: ...
    def utilization(self, handle: Any) -> tuple[int, int]: ...  # (gpu %, memory %)
    def memory(self, handle: Any) -> tuple[int, int, int]: ...  # (total, free, used) bytes
    def temperature(self, handle: Any) -> int: ...  # °C
    def power_milliwatts(self, handle: Any) -> int: ...
    def energy_millijoules(self, handle: Any) -> int: ...
    def ecc_errors(self, handle: Any, corrected: bool) -> int: ...  # volatile count
    def compute_processes(self, handle: Any) -> list[tuple[int, int | None]]: ...
    # --- events ------------------------------------------------------------------------
    def handle_key(self, handle: Any) -> Any: ...  # hashable; equal for handles of one device
    def event_set_create(self) -> Any: ...
    def register_xid_events(self, handle: Any, event_set: Any) -> None: ...
    def wait_event(self, event_set: Any, timeout_ms: int) -> NvmlEvent: ...
    def event_set_free(self, event_set: Any) -> None: ...


def nvml_errors() -> tuple[type[BaseException], ...]:
    """pynvml's error base class, or nothing to catch where pynvml is absent."""
    try:
        import pynvml
    except ImportError:
        return ()
    return (pynvml.NVMLError,)


class PynvmlBackend:
    """nvidia-ml-py, unchanged. Newer `...V` calls are tried first where NVML deprecates."""

    def __init__(self) -> None:
        import pynvml

        self.n = pynvml

    def init(self) -> None:
        self.n.nvmlInit()

    def shutdown(self) -> None:
        self.n.nvmlShutdown()

    def driver_version(self) -> str:
        return str(self.n.nvmlSystemGetDriverVersion())

    def device_count(self) -> int:
        return int(self.n.nvmlDeviceGetCount())

    def handle(self, index: int) -> Any:
        return self.n.nvmlDeviceGetHandleByIndex(index)

    def uuid(self, handle: Any) -> str:
        return str(self.n.nvmlDeviceGetUUID(handle))

    def name(self, handle: Any) -> str:
        return str(self.n.nvmlDeviceGetName(handle))

    def utilization(self, handle: Any) -> tuple[int, int]:
        rates = self.n.nvmlDeviceGetUtilizationRates(handle)
        return int(rates.gpu), int(rates.memory)

    def memory(self, handle: Any) -> tuple[int, int, int]:
        info = self.n.nvmlDeviceGetMemoryInfo(handle)
        return int(info.total), int(info.free), int(info.used)

    def temperature(self, handle: Any) -> int:
        try:
            return int(self.n.nvmlDeviceGetTemperatureV(handle, self.n.NVML_TEMPERATURE_GPU))
        except self.n.NVMLError_FunctionNotFound:
            return int(self.n.nvmlDeviceGetTemperature(handle, self.n.NVML_TEMPERATURE_GPU))

    def power_milliwatts(self, handle: Any) -> int:
        return int(self.n.nvmlDeviceGetPowerUsage(handle))

    def energy_millijoules(self, handle: Any) -> int:
        return int(self.n.nvmlDeviceGetTotalEnergyConsumption(handle))

    def ecc_errors(self, handle: Any, corrected: bool) -> int:
        kind = (self.n.NVML_MEMORY_ERROR_TYPE_CORRECTED if corrected
                else self.n.NVML_MEMORY_ERROR_TYPE_UNCORRECTED)
        return int(self.n.nvmlDeviceGetTotalEccErrors(handle, kind, self.n.NVML_VOLATILE_ECC))

    def compute_processes(self, handle: Any) -> list[tuple[int, int | None]]:
        try:
            procs = self.n.nvmlDeviceGetComputeRunningProcesses(handle)
        except self.n.NVMLLibraryMismatchError:  # a driver without the _v3 call
            procs = self.n.nvmlDeviceGetComputeRunningProcesses_v2(handle)
        return [(int(p.pid), None if p.usedGpuMemory is None else int(p.usedGpuMemory))
                for p in procs]

    def handle_key(self, handle: Any) -> Any:
        """The device's address: NVML returns a new pointer object for each handle, but the
        same address, in `nvmlDeviceGetHandleByIndex` and in an event's `device`."""
        return ctypes.cast(handle, ctypes.c_void_p).value

    def event_set_create(self) -> Any:
        return self.n.nvmlEventSetCreate()

    def register_xid_events(self, handle: Any, event_set: Any) -> None:
        self.n.nvmlDeviceRegisterEvents(handle, self.n.nvmlEventTypeXidCriticalError,
                                        event_set)

    def wait_event(self, event_set: Any, timeout_ms: int) -> NvmlEvent:
        # nvidia-ml-py releases before `_v2` existed only have nvmlEventSetWait
        wait = getattr(self.n, "nvmlEventSetWait_v2", None) or self.n.nvmlEventSetWait
        data = wait(event_set, timeout_ms)
        return NvmlEvent(data.device, int(data.eventType), int(data.eventData))

    def event_set_free(self, event_set: Any) -> None:
        self.n.nvmlEventSetFree(event_set)
