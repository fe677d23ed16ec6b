"""The exporter killed while a synthetic probe kernel exists, over and over, at different
moments of the probe (just after the session POST, while the kernel boots, around the
kernel_info reply). SIGKILL leaves the kernel behind: the next start must reap every one
left by earlier runs, and their processes must exit. SIGTERM must delete the in-flight
probe kernel before the process exits, with exit code 0.

tests/exporter/test_probes_real.py shows each once; this repeats them, with leftovers from
several killed runs at once and kills landing in different phases.
"""

from __future__ import annotations

import re
import signal
import time
from pathlib import Path

import pytest

from tests.exporter.servers import ExporterProcess, JupyterServer, kernel_pids, wait_until
from tests.exporter.test_probes_real import probe_kernels, probe_sessions
from tests.reliability import ledger
from tests.reliability.measure import exporter_for

pytestmark = pytest.mark.real

KILLS_PER_ROW = 2
MAX_TRIES = 5  # a kill can land just after a probe's clean-up: then it leaves nothing
SETTLE = 1.5  # seconds after a SIGKILL before what is left counts as left for good
REAPED = re.compile(r"reaped probe kernels.* count=(\d+)")
PHASES = [
    pytest.param(0.0, id="at once when the probe session appears"),
    pytest.param(0.4, id="0.4 s into the probe, the kernel booting"),
    pytest.param(1.0, id="1 s into the probe, around the kernel_info reply"),
]


def _probing(server: JupyterServer, workdir: Path, interval: str) -> ExporterProcess:
    return exporter_for(server.url, server.token, workdir, "--poll-interval=1s",
                        f"--probe-interval={interval}", "--no-collector.save_probe",
                        "--no-collector.node")


def _probe_kernel_ids(server: JupyterServer) -> set[str]:
    return {s["kernel"]["id"] for s in probe_sessions(server)} | probe_kernels(server)


def _reaped(exp: ExporterProcess) -> int:
    return sum(int(m) for m in REAPED.findall(exp.log_text()))


def _new_probe_session(server: JupyterServer, before: set[str]) -> bool:
    return any(s["id"] not in before for s in probe_sessions(server))


@pytest.mark.timeout(180)
@pytest.mark.parametrize("phase", PHASES)
def test_sigkill_mid_probe_leftovers_are_reaped_at_the_next_start(
        jupyter: JupyterServer, tmp_path: Path, phase: float) -> None:
    """Each run after a kill is the "next start" for the one before: it must reap what that
    one left; a last, non-probing run reaps what the last kill left."""
    assert not _probe_kernel_ids(jupyter), "the test needs a server without probe kernels"
    leftovers: set[str] = set()
    leaked: set[str] = set()
    reaped, slowest, killed = 0, 0.0, 0.0
    with ledger.fault(f"SIGKILL mid-probe ({phase:.1f} s in), restart") as row:
        for attempt in range(MAX_TRIES + 1):
            last = attempt == MAX_TRIES or (row.injected >= KILLS_PER_ROW and reaped)
            exp = _probing(jupyter, tmp_path / f"run{attempt}", "0" if last else "0.2s")
            try:
                left = frozenset(leftovers)
                wait_until(lambda left=left: not left & _probe_kernel_ids(jupyter), 20,
                           "the leftovers of the killed run reaped")
                if leftovers:
                    slowest = max(slowest, time.monotonic() - killed)
                wait_until(lambda left=left: not any(kernel_pids(k) for k in left), 20,
                           "the leftover kernels' processes exited")
                if leftovers:
                    wait_until(lambda e=exp: _reaped(e), 10, "the reap logged")
                    reaped += _reaped(exp)
                if attempt:
                    row.survived += 1  # the previous kill left nothing behind for good
                if last:
                    break
                before = {s["id"] for s in probe_sessions(jupyter)}
                wait_until(lambda b=before: _new_probe_session(jupyter, b), 60,
                           "a probe of this run in flight", 0.05)
                time.sleep(phase)
            finally:
                exp.stop(signal.SIGTERM if last else signal.SIGKILL)
            row.injected += 1
            killed = time.monotonic()
            time.sleep(SETTLE)  # DELETEs the killed run had already sent finish on their own
            leftovers = _probe_kernel_ids(jupyter)
            leaked |= leftovers
        assert reaped, "no kill landed while a probe kernel existed"
        assert not _probe_kernel_ids(jupyter)
        row.lost(f"{len(leaked)} probe kernels outlived their exporter until the next "
                 f"start reaped them, at most {slowest:.1f} s after the kill (the test waits "
                 f"{SETTLE} s of it before restarting)")


@pytest.mark.timeout(180)
@pytest.mark.parametrize("phase", PHASES)
def test_sigterm_mid_probe_deletes_the_kernel_before_exit(
        jupyter: JupyterServer, tmp_path: Path, phase: float) -> None:
    assert not _probe_kernel_ids(jupyter), "the test needs a server without probe kernels"
    with ledger.fault(f"SIGTERM mid-probe ({phase:.1f} s in)") as row:
        in_flight = 0
        for attempt in range(KILLS_PER_ROW):
            exp = _probing(jupyter, tmp_path / f"term{attempt}", "0.2s")
            wait_until(lambda: probe_sessions(jupyter), 60, "a probe in flight", 0.05)
            time.sleep(phase)
            present = _probe_kernel_ids(jupyter)
            in_flight += len(present)
            row.injected += 1
            started = time.monotonic()
            assert exp.stop(signal.SIGTERM) == 0
            assert time.monotonic() - started < 25, "clean-ups are bounded by 20 s"
            assert not _probe_kernel_ids(jupyter), "a probe kernel outlived a clean exit"
            wait_until(lambda p=present: not any(kernel_pids(k) for k in p), 20,
                       "the probe kernels' processes exited")
            row.survived += 1
        row.lost(f"nothing ({in_flight} probe kernels in flight at SIGTERM, all deleted)")
