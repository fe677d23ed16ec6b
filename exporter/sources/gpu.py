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

XID errors have no pollable counter in NVML; they arrive as events (research/gpu-node.md §8).
After each successful init the reader starts an `XidWatcher`, a daemon thread blocked in
NVML's event wait (one second at a time, so it stops within about a second), which counts
into the reader's `XidCounts`. The counts live as long as the reader, across re-inits and
watcher restarts, so the counter never goes back; every snapshot carries them, whatever its
status, because a GPU that has just reported XID 79 (fallen off the bus) fails every read.
"""

from __future__ import annotations

import contextlib
import logging
import re
import threading
from collections.abc import Callable
from typing import Any

from exporter import naming
from exporter.model import GpuDevice, GpuProcess, GpuSnapshot, XidCount
from exporter.sources.nvml import (
    EVENT_XID_CRITICAL_ERROR,
    NvmlBackend,
    PynvmlBackend,
    nvml_errors,
)

log = logging.getLogger("exporter.gpu")

STATUS_OK = "ok"
STATUS_NOT_INSTALLED = "not_installed"  # nvidia-ml-py missing: install the gpu extra
STATUS_TIMEOUT = "timeout"  # set by the host sampler when a read overran its limit
DEVICE_ERRORS = frozenset({"GpuIsLost", "ResetRequired", "Unknown", "GpuNotFound"})
FIELD_ERRORS = frozenset({"NotSupported", "NoPermission", "FunctionNotFound", "NotFound",
                          "NoData"})
REINIT_ERRORS = frozenset({"Uninitialized", "LibRmVersionMismatch", "DriverNotLoaded"})
MAX_DEVICES = 64
XID_WAIT = 1.0  # seconds one event wait may block: the watcher's stop latency
XID_ERROR_BACKOFF = 5.0  # pause after a failed wait (not a timeout), so it never spins


def error_kind(exc: BaseException) -> str:
    """`NVMLError_GpuIsLost` -> `GpuIsLost` (pynvml makes one subclass per return code)."""
    return type(exc).__name__.removeprefix("NVMLError_")


def status_of(exc: BaseException) -> str:
    """`LibraryNotFound` -> `library_not_found`, the value of the nvml status label and log."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", error_kind(exc)).lower()


class _DeviceLost(Exception):
    pass


class XidCounts:
    """XID events by GPU and code: written by the event thread, read by every snapshot.

    A lock guards the dict (two threads); holding it costs a dict update, so a read never
    waits on the driver. Codes are bounded as exporter.naming says: out of range, or past
    the first `XID_MAX_CODES` distinct codes of a GPU, an event counts under `other`.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[tuple[int, str, str], int] = {}
        self._codes: dict[str, set[str]] = {}  # distinct label values per GPU uuid

    def add(self, index: int, uuid: str, code: int) -> None:
        xid = str(code) if 0 < code <= naming.XID_MAX_CODE else naming.XID_OTHER
        with self._lock:
            codes = self._codes.setdefault(uuid, set())
            if xid not in codes and len(codes - {naming.XID_OTHER}) >= naming.XID_MAX_CODES:
                xid = naming.XID_OTHER
            codes.add(xid)
            key = (index, uuid, xid)
            self._counts[key] = self._counts.get(key, 0) + 1

    def snapshot(self) -> tuple[XidCount, ...]:
        with self._lock:
            items = sorted(self._counts.items())
        return tuple(XidCount(index, uuid, xid, count) for (index, uuid, xid), count in items)


class XidWatcher:
    """One daemon thread that registers every GPU for XID events and counts what arrives.

    Only this thread touches its event set: it creates it, waits on it and frees it, so no
    other thread can free the set under a wait. `stop` sets a flag the thread checks between
    waits of at most `wait` seconds: it ends within about one wait, and is never killed
    (nothing can kill a thread in a C call); being a daemon, a thread stuck in the driver
    cannot hold the process at exit. A GPU that does not support events (NotSupported: older
    or virtualised boards) or refuses them (NoPermission) is skipped and logged; the others
    are watched. An error that means NVML itself is gone ends the thread: the reader notices
    the same on its next read, re-initialises and starts a new watcher.
    """

    def __init__(self, backend: NvmlBackend, errors: tuple[type[BaseException], ...],
                 counts: XidCounts, wait: float = XID_WAIT) -> None:
        self.backend, self.counts, self.wait = backend, counts, wait
        self._errors = errors
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="nvml-xid", daemon=True)
        self.watched: tuple[str, ...] = ()  # uuids of the GPUs registered, once registered

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 0.0) -> bool:
        """Ask the thread to end and wait up to `timeout` s; True once it has ended."""
        self._stop.set()
        if timeout > 0 and self._thread.is_alive():
            self._thread.join(timeout)
        return not self._thread.is_alive()

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        try:
            event_set = self.backend.event_set_create()
        except self._errors as exc:
            log.warning("nvml events unavailable; xid errors are not collected",
                        extra={"reason": status_of(exc)})
            return
        try:
            table = self._register(event_set)
            self.watched = tuple(uuid for _, uuid in table.values())
            if table:
                self._loop(event_set, table)
            else:
                log.warning("no GPU supports nvml events; xid errors are not collected")
        except self._errors as exc:
            log.warning("nvml event thread ended", extra={"reason": status_of(exc)})
        except Exception:
            log.exception("unexpected error", extra={"in": "nvml event thread"})
        finally:
            with contextlib.suppress(*self._errors):
                self.backend.event_set_free(event_set)

    def _register(self, event_set: Any) -> dict[Any, tuple[int, str]]:
        """Handle key -> (index, uuid) of each GPU registered for XID events."""
        table: dict[Any, tuple[int, str]] = {}
        for index in range(min(self.backend.device_count(), MAX_DEVICES)):
            if self._stop.is_set():
                break
            try:
                handle = self.backend.handle(index)
                uuid = self.backend.uuid(handle)
                self.backend.register_xid_events(handle, event_set)
            except self._errors as exc:
                if error_kind(exc) in REINIT_ERRORS:
                    raise
                log.info("gpu without xid events", extra={"gpu": index,
                                                          "reason": status_of(exc)})
                continue
            table[self.backend.handle_key(handle)] = (index, uuid)
        return table

    def _loop(self, event_set: Any, table: dict[Any, tuple[int, str]]) -> None:
        wait_ms = max(1, round(self.wait * 1000))
        failing: str | None = None  # the last wait error, logged once until waits work again
        while not self._stop.is_set():
            try:
                event = self.backend.wait_event(event_set, wait_ms)
            except self._errors as exc:
                kind = error_kind(exc)
                if kind == "Timeout":
                    failing = None
                    continue
                if kind in REINIT_ERRORS:
                    raise
                if kind != failing:
                    log.warning("nvml event wait failed", extra={"reason": status_of(exc)})
                failing = kind
                self._stop.wait(XID_ERROR_BACKOFF)
                continue
            failing = None
            if not event.event_type & EVENT_XID_CRITICAL_ERROR:
                continue
            gpu = table.get(self.backend.handle_key(event.handle))
            if gpu is not None:
                self.counts.add(*gpu, event.data)


class GpuReader:
    def __init__(self, backend_factory: Callable[[], NvmlBackend] = PynvmlBackend,
                 retry_after: float = 60.0, *, xid_events: bool = True,
                 xid_wait: float = XID_WAIT) -> None:
        self._factory = backend_factory
        self.retry_after = retry_after
        self.backend: NvmlBackend | None = None
        self.initialised = False
        self.status = "uninitialised"
        self._next_try = 0.0
        self._unsupported: set[tuple[str, str]] = set()
        self._errors: tuple[type[BaseException], ...] = ()
        self.xid_events, self.xid_wait = xid_events, xid_wait
        self.xid_counts = XidCounts()
        self.watcher: XidWatcher | None = None

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
        self._start_watcher()
        return True

    def _start_watcher(self) -> None:
        if not self.xid_events or self.backend is None:
            return
        if self.watcher is not None:
            self.watcher.stop()  # ends on its own within one wait
        self.watcher = XidWatcher(self.backend, self._errors, self.xid_counts, self.xid_wait)
        self.watcher.start()

    def xid_errors(self) -> tuple[XidCount, ...]:
        """The XID counts so far; safe from any thread, never waits on NVML."""
        return self.xid_counts.snapshot()

    def read(self, now: float) -> GpuSnapshot:
        if not self.initialised and not self._init(now):
            return GpuSnapshot(status=self.status, xid_errors=self.xid_errors())
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
        return GpuSnapshot(STATUS_OK, tuple(devices), failed, driver, self.xid_errors())

    def _lost_library(self, exc: BaseException) -> GpuSnapshot:
        self.initialised = False
        self._next_try = 0.0  # retry at the next read: the library may simply need re-init
        if self.watcher is not None:
            self.watcher.stop()
        self._set_status(status_of(exc))
        return GpuSnapshot(status=self.status, xid_errors=self.xid_errors())

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
        """Stop the event thread, then shut NVML down; never shut it down under a thread
        still waiting in the driver (the process exit frees it instead)."""
        stopped = self.watcher is None or self.watcher.stop(timeout=self.xid_wait + 1.0)
        if not stopped:
            log.warning("nvml event thread did not stop; nvml left initialised")
        if self.initialised and self.backend is not None and stopped:
            with contextlib.suppress(*self._errors):
                self.backend.shutdown()
        self.initialised = False
