"""The GPU collector on a fake NVML backend that raises pynvml's real error classes, and once
on this machine's real nvidia-ml-py (which has no GPU driver here: the no-library path).

A run on a real GPU is `bench/gpu_check.py`, for a machine that has one.
"""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import pynvml
import pytest

from exporter import naming
from exporter.app import render
from exporter.collectors.base import ExporterView
from exporter.host import HostSampler
from exporter.model import HostSnapshot, Kernel, ProcInfo, ServerView
from exporter.sources.gpu import GpuReader
from exporter.state import TargetState
from tests.exporter.fakenvml import FakeGpu, FakeNvml
from tests.exporter.metrics import samples

K1 = "11111111-0000-4000-8000-000000000001"
U0, U1 = "GPU-aaaaaaaa-0000-0000-0000-000000000000", "GPU-bbbbbbbb-0000-0000-0000-000000000000"
GPU_ONLY = frozenset({naming.COLLECTOR_GPU})


def reader(fake: FakeNvml, retry_after: float = 60.0) -> GpuReader:
    return GpuReader(lambda: fake, retry_after=retry_after)


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
                              gpu=reader(fake), timeout=0.5)
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
