"""Crash accounting against a real Jupyter Server and real ipykernel kernels (issue 4).

The server runs with `KernelRestarter.time_to_dead=0.5` so the auto-restarter notices a dead
process within half a second; everything else is Jupyter's own behaviour.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

from exporter import naming
from tests.exporter.metrics import value
from tests.exporter.servers import (
    ExporterProcess,
    JupyterServer,
    kernel_pids,
    start_exporter,
    wait_until,
)

pytestmark = pytest.mark.real
POLL = 1.0


def _crashes(exp: ExporterProcess, name: str, kind: str) -> float:
    return value(exp.metrics_text(), naming.KERNEL_CRASHES.name,
                 kernel_name=name, kind=kind) or 0.0


def _start_watching(jupyter: JupyterServer, token_file: Path, tmp_path: Path) -> ExporterProcess:
    exp = start_exporter([f"--jupyter-url=dev={jupyter.url}", f"--jupyter-token-file={token_file}",
                          f"--poll-interval={POLL}s", "--probe-interval=0"],
                         tmp_path / "exporter.log")
    wait_until(lambda: value(exp.metrics_text(), naming.EVENT_STREAM_UP.name) == 1
               and value(exp.metrics_text(), naming.UP.name) == 1, 20, "event stream")
    time.sleep(2 * POLL)  # the stream must be up across a whole poll to be trusted
    return exp


def _kill_and_wait_for_restart(kernel_id: str) -> None:
    old = wait_until(lambda: kernel_pids(kernel_id), 30, "the kernel's process")
    for pid in old:
        os.kill(pid, signal.SIGKILL)
    wait_until(lambda: (new := kernel_pids(kernel_id)) and not set(new) & set(old), 30,
               "the automatic restart (a new kernel process)")
    time.sleep(1.0)  # let the new process finish booting before the next kill


@pytest.mark.timeout(180)
def test_sigkill_restarts_count_user_restart_and_delete_do_not(
        jupyter: JupyterServer, token_file: Path, tmp_path: Path) -> None:
    exp = _start_watching(jupyter, token_file, tmp_path)
    try:
        status, kernel = jupyter.request("POST", "api/kernels", {"name": "python3"})
        assert status == 201
        kid = kernel["id"]
        for _ in range(3):
            _kill_and_wait_for_restart(kid)
        wait_until(lambda: _crashes(exp, "python3", "restart") == 3, 30,
                   "three restart crashes")
        assert jupyter.request("POST", f"api/kernels/{kid}/restart")[0] == 200
        assert jupyter.request("DELETE", f"api/kernels/{kid}")[0] == 204
        wait_until(lambda: kid not in {k["id"] for k in jupyter.kernels()}, 20, "deletion")
        time.sleep(6 * POLL)  # several polls past the grace: late verdicts would show now
        text = exp.metrics_text()
        assert value(text, naming.KERNEL_CRASHES.name, kernel_name="python3",
                     kind="restart") == 3
        assert value(text, naming.KERNEL_CRASHES.name, kernel_name="python3",
                     kind="death") == 0
        assert value(text, naming.KERNEL_STARTS.name, kernel_name="python3") == 1
        lint = subprocess.run(["/usr/bin/promtool", "check", "metrics"], input=text.encode(),
                              capture_output=True, timeout=20)
        assert lint.returncode == 0, lint.stdout.decode() + lint.stderr.decode()
    finally:
        exp.stop()


@pytest.mark.timeout(180)
def test_kernel_exiting_at_boot_counts_each_restart_attempt_then_one_death(
        jupyter: JupyterServer, token_file: Path, tmp_path: Path) -> None:
    exp = _start_watching(jupyter, token_file, tmp_path)
    try:
        log_start = len(jupyter.log_text())
        status, kernel = jupyter.request("POST", "api/kernels", {"name": "crashy"})
        assert status == 201
        kid = kernel["id"]
        wait_until(lambda: f"Kernel {kid} died, removing from map" in jupyter.log_text(), 90,
                   "the server to give up on the kernel")
        attempts = len(re.findall(r"KernelRestarter: restarting kernel \(\d+/\d+\)",
                                  jupyter.log_text()[log_start:]))
        assert attempts >= 1
        wait_until(lambda: _crashes(exp, "crashy", "death") == 1, 30, "one death")
        time.sleep(4 * POLL)
        text = exp.metrics_text()
        assert value(text, naming.KERNEL_CRASHES.name, kernel_name="crashy",
                     kind="restart") == attempts
        assert value(text, naming.KERNEL_CRASHES.name, kernel_name="crashy",
                     kind="death") == 1
    finally:
        exp.stop()
