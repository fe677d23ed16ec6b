"""The GPU collector on a fake NVML backend that raises pynvml's real error classes, and once
on this machine's real nvidia-ml-py (which has no GPU driver here: the no-library path).

XID errors: the fake queues events that its `wait_event` hands out (or a timeout), so the
reader's real event thread registers, waits, counts and stops; each reader a test makes is
closed after it, which stops that thread.

A run on a real GPU is `bench/gpu_check.py`, for a machine that has one.
"""

from __future__ import annotations

import asyncio
import ctypes
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace

import pynvml
import pytest

from exporter import naming
from exporter.app import render
from exporter.collectors.base import ExporterView
from exporter.host import HostSampler
from exporter.model import HostSnapshot, Kernel, ProcInfo, ServerView
from exporter.sources import gpu as gpu_source
from exporter.sources.gpu import GpuReader, XidCounts
from exporter.sources.nvml import EVENT_XID_CRITICAL_ERROR, NvmlEvent, PynvmlBackend
from exporter.state import TargetState
from tests.exporter.fakenvml import FakeGpu, FakeNvml
from tests.exporter.metrics import samples
from tests.exporter.servers import wait_until

K1 = "11111111-0000-4000-8000-000000000001"
U0, U1 = "GPU-aaaaaaaa-0000-0000-0000-000000000000", "GPU-bbbbbbbb-0000-0000-0000-000000000000"
GPU_ONLY = frozenset({naming.COLLECTOR_GPU})
XID = naming.GPU_XID_ERRORS.name
_READERS: list[GpuReader] = []


def reader(fake: FakeNvml, retry_after: float = 60.0, xid_events: bool = True) -> GpuReader:
    """A reader on `fake` whose event thread waits 50 ms at a time (so it stops fast)."""
    gpu = GpuReader(lambda: fake, retry_after=retry_after, xid_events=xid_events,
                    xid_wait=0.05)
    _READERS.append(gpu)
    return gpu


@pytest.fixture(autouse=True)
def _close_readers() -> Iterator[None]:
    yield
    while _READERS:
        _READERS.pop().close()


def wait_for(condition: Callable[[], object], what: str, timeout: float = 10.0) -> None:
    """`wait_until` at the event thread's pace (its waits here are 0.05 s)."""
    wait_until(condition, timeout, what, interval=0.01)


def xid_total(gpu: GpuReader) -> int:
    return sum(c.count for c in gpu.xid_errors())


def view_with(snapshot_gpu, procs=()) -> ExporterView:
    server = ServerView("2.21.1", None, None, (Kernel(K1, "python3", "busy", 1, None),), (),
                        None, frozenset({"python3"}), None)
    target = TargetState(name="alice", up=True, view=server)
    host = HostSnapshot(at=0.0, processes=tuple(procs), gpu=snapshot_gpu)
    return ExporterView((target,), 0.0, 1800.0, "test", "python3", False, host=host)


def scrape(view: ExporterView) -> list[tuple[str, dict[str, str], float]]:
    body, _ = render(view, GPU_ONLY, None)
    return samples(body.decode())


def value(scraped, name: str, **labels: str) -> float | None:
    for n, lab, v in scraped:
        if n == name and all(lab.get(k) == x for k, x in labels.items()):
            return v
    return None


@pytest.mark.parametrize("error,status", [
    pytest.param(pynvml.NVMLError_LibraryNotFound, "library_not_found",
                 id="no NVML library: devices 0, collector unsuccessful"),
    pytest.param(pynvml.NVMLError_DriverNotLoaded, "driver_not_loaded",
                 id="driver not loaded: devices 0, collector unsuccessful"),
    pytest.param(pynvml.NVMLError_NoPermission, "no_permission",
                 id="no permission: devices 0, collector unsuccessful"),
])
def test_no_gpu_is_reported_not_raised(error, status: str) -> None:
    fake = FakeNvml([FakeGpu(U0)], init_error=error)
    snap = reader(fake).read(now=0.0)
    assert snap.status == status and snap.devices == ()
    scraped = scrape(view_with(snap))
    assert value(scraped, naming.GPU_DEVICES.name) == 0
    assert value(scraped, naming.COLLECTOR_SUCCESS.name, collector="gpu") == 0


def test_init_is_retried_later_and_succeeds_once_the_driver_loads() -> None:
    fake = FakeNvml([FakeGpu(U0)], init_error=pynvml.NVMLError_DriverNotLoaded)
    gpu = reader(fake, retry_after=30.0)
    assert gpu.read(now=0.0).status == "driver_not_loaded"
    fake.init_error = None
    assert gpu.read(now=10.0).status == "driver_not_loaded", "no retry before 30 s"
    assert fake.calls.count("init") == 1
    snap = gpu.read(now=31.0)
    assert snap.status == "ok" and [d.uuid for d in snap.devices] == [U0]


def test_pynvml_missing_is_not_installed() -> None:
    def missing():
        raise ImportError("No module named 'pynvml'")

    assert GpuReader(missing).read(now=0.0).status == "not_installed"


def test_one_gpu_lost_among_two_keeps_the_other() -> None:
    fake = FakeNvml([FakeGpu(U0), FakeGpu(U1, lost=True)])
    snap = reader(fake).read(now=0.0)
    assert [d.uuid for d in snap.devices] == [U0] and snap.failed_devices == 1
    scraped = scrape(view_with(snap))
    assert value(scraped, naming.GPU_DEVICES.name) == 1
    assert value(scraped, naming.GPU_MEMORY_USED.name, gpu="0", uuid=U0) == 3 << 30
    assert value(scraped, naming.GPU_UTILIZATION.name, gpu="0") == 0.5
    assert value(scraped, naming.GPU_POWER.name, gpu="0") == 100.5
    assert value(scraped, naming.GPU_ENERGY.name, gpu="0") == 12345.0
    assert not any(lab.get("uuid") == U1 for _, lab, _ in scraped)
    assert value(scraped, naming.COLLECTOR_SUCCESS.name, collector="gpu") == 0


def test_a_lost_gpu_mid_read_is_skipped_and_recovers() -> None:
    gpus = [FakeGpu(U0), FakeGpu(U1)]
    fake = FakeNvml(gpus)
    gpu = reader(fake)
    assert len(gpu.read(0.0).devices) == 2
    gpus[0].lost = True
    assert [d.uuid for d in gpu.read(1.0).devices] == [U1]
    gpus[0].lost = False
    assert len(gpu.read(2.0).devices) == 2


def test_unsupported_ecc_is_omitted_and_not_asked_again() -> None:
    fake = FakeNvml([FakeGpu(U0, ecc=None)])
    gpu = reader(fake)
    snap = gpu.read(0.0)
    assert snap.devices[0].ecc_corrected is None
    gpu.read(1.0)
    assert fake.calls.count("ecc") == 1
    scraped = scrape(view_with(snap))
    assert value(scraped, naming.GPU_ECC_ERRORS.name) is None
    assert value(scraped, naming.GPU_TEMPERATURE.name, uuid=U0) == 40


def test_gpu_memory_is_attributed_to_a_kernel_through_its_child_process() -> None:
    procs = (ProcInfo(100, 1, 1.0, 1, K1), ProcInfo(101, 100, 1.0, 1, None),  # train.py
             ProcInfo(102, 101, 1.0, 1, None), ProcInfo(500, 1, 1.0, 1, None))
    fake = FakeNvml([FakeGpu(U0, processes=[(102, 1 << 30), (500, 2 << 30), (999, 5)]),
                     FakeGpu(U1, processes=[(100, 4 << 20), (101, None)])])
    snap = reader(fake).read(0.0)
    scraped = scrape(view_with(snap, procs))
    kernel = dict(server="alice", kernel_id=K1, kernel_name="python3")
    assert value(scraped, naming.KERNEL_GPU_MEMORY.name, **kernel, uuid=U0) == 1 << 30
    assert value(scraped, naming.KERNEL_GPU_MEMORY.name, **kernel, uuid=U1) == 4 << 20
    assert value(scraped, naming.GPU_UNATTRIBUTED_MEMORY.name, uuid=U0) == (2 << 30) + 5
    assert value(scraped, naming.GPU_UNATTRIBUTED_MEMORY.name, uuid=U1) == 0


@pytest.mark.timeout(30)
def test_a_hung_nvml_call_times_out_off_the_event_loop_and_is_not_stacked() -> None:
    release = threading.Event()

    class Hanging(FakeNvml):
        def device_count(self) -> int:
            self.calls.append("count")
            release.wait(20)
            return 0

    fake = Hanging()

    async def main() -> None:
        sampler = HostSampler(Path("/proc"), Path("/"), processes=False, node_stats=True,
                              gpu=reader(fake, xid_events=False), timeout=0.5)
        ticks = 0

        async def tick() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.01)

        ticker = asyncio.create_task(tick())
        try:
            first = await sampler.sample()
            second = await sampler.sample()
        finally:
            ticker.cancel()
            release.set()
            sampler.close()
        assert first.gpu is not None and first.gpu.status == "timeout"
        assert second.gpu is not None and second.gpu.status == "timeout"
        assert fake.calls.count("count") == 1, "a second read started while one was stuck"
        assert first.node is not None, "node statistics are served while NVML hangs"
        assert ticks > 20, "the event loop was blocked"

    started = time.monotonic()
    asyncio.run(main())
    assert time.monotonic() - started < 10


def test_real_pynvml_without_a_driver_reports_itself_unavailable() -> None:
    """This machine has nvidia-ml-py but no NVIDIA library: the real init path."""
    snap = GpuReader().read(0.0)
    assert snap.status in {"library_not_found", "driver_not_loaded"}, snap.status
    assert snap.devices == ()


# --- XID errors (NVML events) ----------------------------------------------------------------

def test_xid_events_are_counted_per_gpu_and_code() -> None:
    fake = FakeNvml([FakeGpu(U0), FakeGpu(U1)])
    gpu = reader(fake)
    assert gpu.read(0.0).xid_errors == ()
    wait_for(lambda: fake.registered == [0, 1], "both GPUs registered for events")
    fake.inject_xid(0, 79)
    fake.inject_xid(1, 13)
    fake.inject_xid(1, 5, event_type=pynvml.nvmlEventTypeClock)  # not an XID: ignored
    fake.inject_xid(0, 79)
    wait_for(lambda: xid_total(gpu) == 3 and fake.events.empty(), "three XIDs counted")
    scraped = scrape(view_with(gpu.read(1.0)))
    assert value(scraped, XID, gpu="0", uuid=U0, xid="79") == 2
    assert value(scraped, XID, gpu="1", uuid=U1, xid="13") == 1
    assert [lab for name, lab, _ in scraped if name == XID and lab["gpu"] == "1"] == \
        [{"gpu": "1", "uuid": U1, "xid": "13"}]


@pytest.mark.parametrize(("gpus", "event_set_error", "watched"), [
    pytest.param([FakeGpu(U0, events_error=pynvml.NVMLError_NotSupported), FakeGpu(U1)], None,
                 (U1,), id="a GPU without event support is skipped, the other is watched"),
    pytest.param([FakeGpu(U0), FakeGpu(U1, events_error=pynvml.NVMLError_NoPermission)], None,
                 (U0,), id="a GPU that refuses events is skipped, the other is watched"),
    pytest.param([FakeGpu(U0), FakeGpu(U1, lost=True)], None, (U0,),
                 id="a lost GPU is skipped at registration"),
    pytest.param([FakeGpu(U0), FakeGpu(U1)], pynvml.NVMLError_NotSupported, (),
                 id="no event support at all: no thread, device reads go on"),
])
def test_event_support_is_handled_per_device(gpus: list[FakeGpu],
                                             event_set_error: type[pynvml.NVMLError] | None,
                                             watched: tuple[str, ...]) -> None:
    fake = FakeNvml(gpus, event_set_error=event_set_error)
    gpu = reader(fake)
    snap = gpu.read(0.0)
    assert snap.status == "ok" and len(snap.devices) == sum(not g.lost for g in gpus)
    assert gpu.watcher is not None
    if not watched:
        wait_for(lambda: not gpu.watcher.running, "the event thread to give up")
        return
    wait_for(lambda: gpu.watcher.watched == watched, f"events registered on {watched}")
    for index in range(len(gpus)):
        fake.inject_xid(index, 48)
    wait_for(lambda: fake.events.empty(), "the events consumed")
    assert [(c.uuid, c.xid, c.count) for c in gpu.xid_errors()] == \
        [(uuid, "48", 1) for uuid in watched]


def test_xid_counts_outlive_a_gpu_that_falls_off_the_bus() -> None:
    """XID 79 is when a GPU stops answering reads: its counter must stay on the page."""
    gpus = [FakeGpu(U0), FakeGpu(U1)]
    fake = FakeNvml(gpus)
    gpu = reader(fake)
    gpu.read(0.0)
    wait_for(lambda: fake.registered == [0, 1], "both GPUs registered")
    fake.inject_xid(0, 79)
    wait_for(lambda: xid_total(gpu) == 1, "the XID counted")
    gpus[0].lost = True
    snap = gpu.read(1.0)
    assert [d.uuid for d in snap.devices] == [U1] and snap.failed_devices == 1
    scraped = scrape(view_with(snap))
    assert value(scraped, XID, gpu="0", uuid=U0, xid="79") == 1
    assert value(scraped, naming.GPU_MEMORY_USED.name, uuid=U0) is None


def test_a_failing_wait_neither_ends_nor_spins_the_event_thread(monkeypatch) -> None:
    """Waits that keep failing (a GPU gone from the bus) are retried after a pause, not in a
    tight loop; once they work again, events are counted."""
    monkeypatch.setattr(gpu_source, "XID_ERROR_BACKOFF", 0.05)
    failing = threading.Event()
    waits = 0

    class Failing(FakeNvml):
        def wait_event(self, event_set, timeout_ms: int) -> NvmlEvent:
            nonlocal waits
            waits += 1
            if failing.is_set():
                raise pynvml.NVMLError_GpuIsLost()
            return super().wait_event(event_set, timeout_ms)

    fake = Failing([FakeGpu(U0)])
    gpu = reader(fake)
    gpu.read(0.0)
    wait_for(lambda: fake.registered == [0], "the GPU registered")
    failing.set()
    time.sleep(0.1)
    before, started = waits, time.monotonic()
    time.sleep(0.5)
    rate = (waits - before) / (time.monotonic() - started)
    assert rate < 50, f"{rate:.0f} failed waits a second: the thread spins"
    failing.clear()
    fake.inject_xid(0, 31)
    wait_for(lambda: xid_total(gpu) == 1, "the XID after the errors counted")
    assert gpu.watcher is not None and gpu.watcher.running


def test_a_lost_nvml_ends_the_thread_and_a_reinit_starts_a_new_one_keeping_the_counts(
        ) -> None:
    fake = FakeNvml([FakeGpu(U0)])
    gpu = reader(fake)
    gpu.read(0.0)
    first = gpu.watcher
    wait_for(lambda: fake.registered == [0], "the GPU registered")
    fake.inject_xid(0, 79)
    wait_for(lambda: xid_total(gpu) == 1, "the XID counted")
    fake.inject_error(pynvml.NVMLError_Uninitialized)
    assert first is not None
    wait_for(lambda: not first.running, "the event thread to end")
    assert fake.freed == 1, "the thread frees its event set"
    fake.count_error = pynvml.NVMLError_Uninitialized
    lost = gpu.read(1.0)
    assert lost.status == "uninitialized" and lost.devices == ()
    assert [(c.xid, c.count) for c in lost.xid_errors] == [("79", 1)]
    fake.count_error = None
    assert gpu.read(2.0).status == "ok"
    assert gpu.watcher is not first and gpu.watcher is not None
    wait_for(lambda: fake.registered == [0, 0], "the GPU registered again")
    fake.inject_xid(0, 79)
    wait_for(lambda: xid_total(gpu) == 2, "the counter goes on from 1")


@pytest.mark.timeout(30)
def test_close_stops_the_event_thread_and_frees_its_set_before_nvml_shuts_down() -> None:
    fake = FakeNvml([FakeGpu(U0)])
    gpu = GpuReader(lambda: fake, xid_wait=0.2)
    gpu.read(0.0)
    watcher = gpu.watcher
    assert watcher is not None
    wait_for(lambda: fake.registered == [0], "the GPU registered")
    started = time.monotonic()
    gpu.close()
    assert time.monotonic() - started < 2.0
    assert not watcher.running
    assert fake.calls.index("event_set_free") < fake.calls.index("shutdown")


@pytest.mark.timeout(30)
def test_xid_counts_are_served_while_a_device_read_hangs() -> None:
    release = threading.Event()

    class HangingMemory(FakeNvml):
        def memory(self, handle):
            release.wait(20)
            return super().memory(handle)

    fake = HangingMemory([FakeGpu(U0)])
    gpu = reader(fake)

    async def main() -> None:
        sampler = HostSampler(Path("/proc"), Path("/"), processes=False, node_stats=False,
                              gpu=gpu, timeout=0.3)
        try:
            first = await sampler.sample()  # init, event thread started, read stuck
            assert first.gpu is not None and first.gpu.status == "timeout"
            await asyncio.to_thread(wait_for, lambda: fake.registered == [0], "registered")
            fake.inject_xid(0, 79)
            await asyncio.to_thread(wait_for, lambda: xid_total(gpu) == 1, "XID counted")
            second = await sampler.sample()  # the read is still stuck
        finally:
            release.set()
            sampler.close()
        assert second.gpu is not None and second.gpu.status == "timeout"
        assert [(c.uuid, c.xid, c.count) for c in second.gpu.xid_errors] == [(U0, "79", 1)]

    asyncio.run(main())


@pytest.mark.parametrize(("codes", "expected"), [
    pytest.param([79, 79, 13], {"13": 1, "79": 2}, id="each code is its own series"),
    pytest.param([0, 1000, 10**9], {naming.XID_OTHER: 3},
                 id="codes outside the documented range count as other"),
    pytest.param([*range(1, naming.XID_MAX_CODES + 4), 1],
                 {**{str(c): 1 for c in range(2, naming.XID_MAX_CODES + 1)}, "1": 2,
                  naming.XID_OTHER: 3},
                 id="past the first 16 distinct codes of a GPU, new codes count as other"),
])
def test_xid_codes_are_bounded(codes: list[int], expected: dict[str, int]) -> None:
    counts = XidCounts()
    for code in codes:
        counts.add(0, U0, code)
    counts.add(1, U1, 4242)  # another GPU's budget is its own
    found = {c.xid: c.count for c in counts.snapshot() if c.uuid == U0}
    assert found == expected
    assert [c.xid for c in counts.snapshot() if c.uuid == U1] == [naming.XID_OTHER]


def test_the_real_backend_speaks_pynvml_event_api() -> None:
    """Names and values the fake stands in for, checked against nvidia-ml-py itself."""
    assert pynvml.nvmlEventTypeXidCriticalError == EVENT_XID_CRITICAL_ERROR
    for name in ("nvmlEventSetCreate", "nvmlDeviceRegisterEvents", "nvmlEventSetWait_v2",
                 "nvmlEventSetWait", "nvmlEventSetFree", "NVMLError_Timeout",
                 "NVMLError_NotSupported"):
        assert hasattr(pynvml, name), name
    backend = PynvmlBackend()
    device = pynvml.struct_c_nvmlDevice_t()
    handle = ctypes.pointer(device)
    same = ctypes.cast(ctypes.addressof(device), pynvml.c_nvmlDevice_t)
    assert backend.handle_key(handle) == backend.handle_key(same) != backend.handle_key(
        ctypes.pointer(pynvml.struct_c_nvmlDevice_t()))
    data = pynvml.c_nvmlEventData_t()
    data.device, data.eventType, data.eventData = same, pynvml.nvmlEventTypeXidCriticalError, 79
    calls = []

    def wait(event_set, timeout_ms):
        calls.append((event_set, timeout_ms))
        return data

    backend.n = SimpleNamespace(nvmlEventSetWait_v2=wait)
    event = backend.wait_event("set", 1000)
    assert calls == [("set", 1000)]
    assert (backend.handle_key(event.handle), event.event_type, event.data) == \
        (backend.handle_key(handle), EVENT_XID_CRITICAL_ERROR, 79)
