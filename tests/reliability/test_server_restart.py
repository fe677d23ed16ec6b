"""A real Jupyter Server killed in the middle of a poll and started again, several times;
and its token changed under the exporter (an expired token), then changed back.

"Mid-poll" is made certain, not hoped for: the server is first stopped (SIGSTOP) and killed
only once /proc/net/tcp shows request bytes it has not read, that is, while a poll waits on
it. After each restart the kernels of the killed process must not linger in any series, and
they are not judged as crashes (the documented baseline reset).
"""

from __future__ import annotations

import signal
import time
import urllib.request
from pathlib import Path

import pytest

from exporter import naming
from tests.exporter.metrics import value
from tests.exporter.servers import JupyterServer, kill_kernel_processes, wait_until
from tests.reliability import ledger
from tests.reliability.measure import exporter_for, series, total, unread_request_bytes

pytestmark = pytest.mark.real

POLL = 0.5
KILLS = 3
ROTATIONS = 2


def _failed_polls(text: str) -> float:
    return sum(value(text, naming.POLL_ERRORS.name, reason=r) or 0
               for r in naming.POLL_ERROR_REASONS)


def _start_kernel(server: JupyterServer) -> str:
    status, body = server.request("POST", "api/kernels", {"name": "python3"})
    assert status == 201, body
    return body["id"]


@pytest.mark.timeout(240)
def test_server_sigkilled_mid_poll_and_restarted(jupyter: JupyterServer, tmp_path: Path) -> None:
    exp = exporter_for(jupyter.url, jupyter.token, tmp_path, f"--poll-interval={POLL}s",
                       "--no-collector.node")
    orphans: list[str] = []
    try:
        wait_until(lambda: value(exp.metrics_text(), naming.UP.name) == 1, 20, "first poll")
        with ledger.fault("Jupyter Server SIGKILLed mid-poll, restarted") as row:
            failed_total, down_seconds = 0.0, 0.0
            for _ in range(KILLS):
                kid = _start_kernel(jupyter)
                orphans.append(kid)
                text = wait_until(lambda: (t := exp.metrics_text())
                                  and total(t, naming.KERNELS.name) == 1 and t, 20,
                                  "the user kernel counted")
                crashes, failed = total(text, naming.KERNEL_CRASHES.name), _failed_polls(text)
                row.injected += 1
                assert jupyter.proc is not None
                jupyter.proc.send_signal(signal.SIGSTOP)
                try:
                    wait_until(lambda: unread_request_bytes(jupyter.port) > 0, 2 + 4 * POLL,
                               "a poll request waiting on the stopped server", 0.02)
                finally:
                    jupyter.proc.kill()
                    jupyter.proc.wait(timeout=10)
                killed = time.monotonic()
                kill_kernel_processes([kid])  # its kernel would linger until it notices
                text = wait_until(lambda f=failed: (t := exp.metrics_text())
                                  and value(t, naming.UP.name) == 0
                                  and _failed_polls(t) > f and t, 10, "jupyter_up 0")
                with urllib.request.urlopen(exp.url + "healthz", timeout=5) as resp:
                    assert resp.status == 200
                jupyter.start()
                text = wait_until(lambda: (t := exp.metrics_text())
                                  and value(t, naming.UP.name) == 1 and t, 30, "up again")
                down_seconds += time.monotonic() - killed
                assert exp.proc.poll() is None
                assert total(text, naming.KERNELS.name) == 0, "a killed process's kernel lingers"
                assert total(text, naming.KERNEL_CRASHES.name) == crashes, \
                    "kernels of the old process must not be judged (docs: baseline reset)"
                failed_total += _failed_polls(text) - failed
                row.survived += 1
            row.lost(f"{failed_total:.0f} polls failed; {down_seconds:.0f} s without data "
                     f"over {KILLS} restarts; old kernels not judged (documented)")
        kid = _start_kernel(jupyter)
        wait_until(lambda: total(exp.metrics_text(), naming.KERNELS.name) == 1, 20,
                   "a kernel of the restarted server counted")
        assert jupyter.request("DELETE", f"api/kernels/{kid}")[0] == 204
        wait_until(lambda: total(exp.metrics_text(), naming.KERNELS.name) == 0, 20,
                   "its deletion seen")
    finally:
        exp.stop()
        kill_kernel_processes(orphans)


def _restart_with_token(server: JupyterServer, token: str) -> None:
    server.stop()
    server.token = token
    server.env["JUPYTER_TOKEN"] = token
    server.start()


@pytest.mark.timeout(240)
def test_token_expired_under_the_exporter_then_restored(jupyter: JupyterServer,
                                                        tmp_path: Path) -> None:
    original = jupyter.token
    exp = exporter_for(jupyter.url, original, tmp_path, f"--poll-interval={POLL}s",
                       "--no-collector.node")
    try:
        before = wait_until(lambda: (t := exp.metrics_text())
                            and value(t, naming.UP.name) == 1 and t, 20, "first poll")
        with ledger.fault("token expired: server restarted with a new token") as row:
            auth = value(before, naming.POLL_ERRORS.name, reason=naming.REASON_AUTH) or 0
            for rotation in range(ROTATIONS):
                row.injected += 1
                _restart_with_token(jupyter, f"rotated{rotation}" + original[9:])
                during = wait_until(
                    lambda a=auth: (t := exp.metrics_text()) and value(t, naming.UP.name) == 0
                    and (value(t, naming.POLL_ERRORS.name, reason=naming.REASON_AUTH) or 0)
                    >= a + 2 and t, 30, "auth poll errors")
                with urllib.request.urlopen(exp.url, timeout=5) as resp:
                    page = resp.read().decode()
                assert "auth" in page
                for text in (during, page, exp.log_text()):
                    assert original not in text and jupyter.token not in text
                _restart_with_token(jupyter, original)
                after = wait_until(lambda: (t := exp.metrics_text())
                                   and value(t, naming.UP.name) == 1 and t, 30, "up again")
                assert series(after) == series(before)
                auth = value(after, naming.POLL_ERRORS.name, reason=naming.REASON_AUTH) or 0
                row.survived += 1
            row.lost(f"{auth:.0f} polls (auth) while the token was not accepted; the token "
                     "file kept the old token, so recovery waits for the server to take it "
                     "back (a rotated file is followed: tests/exporter/test_tokens.py)")
    finally:
        exp.stop()
        if jupyter.token != original:
            _restart_with_token(jupyter, original)
