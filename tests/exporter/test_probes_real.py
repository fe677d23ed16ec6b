"""Synthetic probes against a real Jupyter Server: counts, timing, and no leaked kernels."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

import pytest

from exporter import naming
from exporter.collectors.base import ExporterView, Render
from exporter.collectors.kernels import render as render_kernels
from exporter.collectors.probes import render_kernel_probe
from exporter.engine import TargetWorker
from exporter.probes.kernel import PROBE_SESSION_PREFIX
from tests.exporter.inprocess import with_worker
from tests.exporter.metrics import value
from tests.exporter.servers import JupyterServer, start_exporter, wait_until

pytestmark = pytest.mark.real


def probe_sessions(server: JupyterServer) -> list[dict]:
    return [s for s in server.get("api/sessions") or []
            if s["path"].startswith(PROBE_SESSION_PREFIX)]


def probe_kernels(server: JupyterServer) -> set[str]:
    """Kernels that are not a user's: every kernel not attached to a non-probe session."""
    sessions = server.get("api/sessions") or []
    users = {s["kernel"]["id"] for s in sessions if not s["path"].startswith(PROBE_SESSION_PREFIX)}
    return {k["id"] for k in server.kernels()} - users


def _view(worker: TargetWorker) -> ExporterView:
    return ExporterView((worker.state,), time.time(), 1800.0, "test", "python3", True)


def _gauge_total(worker: TargetWorker, spec: naming.MetricSpec,
                 render: Render = render_kernels) -> float:
    families = {f.name: f for f in render(_view(worker)).families}
    name = spec.name.removesuffix("_total")
    return sum(s.value for s in families[name].samples)


@pytest.mark.timeout(120)
def test_each_probe_adds_one_observation_timed_like_the_call(jupyter: JupyterServer) -> None:
    async def body(worker: TargetWorker) -> None:
        await worker.poll_once()
        previous_sum = 0.0
        for expected in (1, 2, 3):
            start = time.perf_counter()
            await worker.run_kernel_probe()
            elapsed = time.perf_counter() - start
            hist = worker.state.probes.startup["python3"]
            assert hist.total == expected
            recorded, previous_sum = hist.sum - previous_sum, hist.sum
            assert abs(recorded - elapsed) <= 0.050, (recorded, elapsed)
        assert worker.state.probes.attempts[("python3", naming.PROBE_SUCCESS)] == 3
    asyncio.run(with_worker(jupyter, body))


@pytest.mark.timeout(180)
def test_twenty_probes_leave_no_probe_kernel_and_never_show_in_user_gauges(
        jupyter: JupyterServer) -> None:
    seen_probe_kernel = []

    async def watch(worker: TargetWorker) -> None:
        while True:
            await worker.poll_once()
            view = worker.state.view
            if view is not None and any(k.id in worker.probe_ids() for k in view.kernels):
                seen_probe_kernel.append(True)
                assert _gauge_total(worker, naming.KERNELS) == 0
                assert _gauge_total(worker, naming.SESSIONS) == 0
                assert _gauge_total(worker, naming.KERNEL_CONNECTIONS) == 0
                assert _gauge_total(worker, naming.PROBE_KERNELS, render_kernel_probe) >= 1
            await asyncio.sleep(0.1)

    async def body(worker: TargetWorker) -> None:
        await worker.poll_once()
        watcher = asyncio.create_task(watch(worker))
        try:
            for _ in range(20):
                await worker.run_kernel_probe()
        finally:
            watcher.cancel()
            await asyncio.gather(watcher, return_exceptions=True)
        assert worker.state.probes.startup["python3"].total == 20

    assert not probe_kernels(jupyter), "the test needs a server without stray kernels"
    asyncio.run(with_worker(jupyter, body))  # closing drains the clean-ups
    assert seen_probe_kernel, "no poll ever saw a probe kernel: the gauge check proved nothing"
    assert probe_kernels(jupyter) == set()
    assert probe_sessions(jupyter) == []


@pytest.mark.timeout(120)
@pytest.mark.parametrize(("kernel_name", "timeout", "result"), [
    pytest.param("python3", 0.05, naming.PROBE_TIMEOUT,
                 id="a probe that times out still deletes its kernel"),
    pytest.param("nosuchspec", 30.0, naming.PROBE_FAILURE,
                 id="a probe whose kernel cannot start is a failure and leaves nothing"),
])
def test_failed_probes_are_counted_and_leave_nothing(
        jupyter: JupyterServer, kernel_name: str, timeout: float, result: str) -> None:
    async def body(worker: TargetWorker) -> None:
        await worker.poll_once()
        await worker.run_kernel_probe()
        assert worker.state.probes.attempts == {(kernel_name, result): 1}
        assert kernel_name not in worker.state.probes.startup

    asyncio.run(with_worker(jupyter, body, probe_kernel_name=kernel_name,
                            probe_timeout=timeout))
    wait_until(lambda: not probe_kernels(jupyter) and not probe_sessions(jupyter), 20,
               "no probe kernel left")


def _exporter_probing(jupyter: JupyterServer, token_file: Path, log: Path, probe: str):
    return start_exporter([f"--jupyter-url=dev={jupyter.url}",
                           f"--jupyter-token-file={token_file}", "--poll-interval=1s",
                           f"--probe-interval={probe}", "--no-collector.save_probe"], log)


@pytest.mark.timeout(180)
def test_sigterm_during_a_probe_deletes_its_kernel(
        jupyter: JupyterServer, token_file: Path, tmp_path: Path) -> None:
    exp = _exporter_probing(jupyter, token_file, tmp_path / "exporter.log", "0.2s")
    try:
        wait_until(lambda: probe_sessions(jupyter), 60, "a probe in flight", 0.05)
    finally:
        assert exp.stop(signal.SIGTERM) == 0
    assert probe_kernels(jupyter) == set()
    assert probe_sessions(jupyter) == []


@pytest.mark.timeout(240)
def test_probe_kernel_left_by_a_sigkilled_exporter_is_reaped_at_the_next_start(
        jupyter: JupyterServer, token_file: Path, tmp_path: Path) -> None:
    leaked: list[dict] = []
    for attempt in range(5):  # the kill must land while a probe kernel exists
        exp = _exporter_probing(jupyter, token_file, tmp_path / f"killed{attempt}.log", "0.2s")
        wait_until(lambda: probe_sessions(jupyter), 60, "a probe in flight", 0.05)
        exp.stop(signal.SIGKILL)
        leaked = probe_sessions(jupyter)
        if leaked:
            break
    assert leaked, "could not kill the exporter while a probe kernel existed"
    exp = _exporter_probing(jupyter, token_file, tmp_path / "restarted.log", "0")
    try:
        wait_until(lambda: value(exp.metrics_text(), naming.UP.name) == 1, 20, "first poll")
        wait_until(lambda: not probe_sessions(jupyter) and not probe_kernels(jupyter), 3.0,
                   "the leftover probe kernel to be reaped by the first poll")
        assert "reaped probe kernels" in exp.log_text()
    finally:
        exp.stop()
