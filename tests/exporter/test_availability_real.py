"""Availability, authentication and activity side effects against real Jupyter Servers.

These tests stop, restart or watch a server's `last_activity`, so each gets its own server.
"""

from __future__ import annotations

import os
import time
import urllib.request
from pathlib import Path

import pytest

from exporter import naming
from tests.exporter.metrics import value
from tests.exporter.servers import make_server, start_exporter, wait_until

pytestmark = pytest.mark.real


@pytest.mark.timeout(180)
def test_server_stop_gives_down_and_refused_then_recovers(tmp_path: Path) -> None:
    poll = 2.0
    server = make_server(tmp_path / "js")
    server.start()
    token_file = tmp_path / "token"
    token_file.write_text(server.token)
    exp = start_exporter([f"--jupyter-url=dev={server.url}", f"--jupyter-token-file={token_file}",
                          f"--poll-interval={poll}s", "--probe-interval=0"], tmp_path / "exp.log")
    try:
        wait_until(lambda: value(exp.metrics_text(), naming.UP.name) == 1, 20, "up")
        server.stop()
        stopped = time.monotonic()
        wait_until(lambda: value(exp.metrics_text(), naming.UP.name) == 0
                   and value(exp.metrics_text(), naming.POLL_ERRORS.name,
                             reason=naming.REASON_REFUSED) >= 1,
                   2 * poll + 1.0, "jupyter_up 0 and a refused poll error")
        assert time.monotonic() - stopped <= 2 * poll + 1.0
        with urllib.request.urlopen(exp.url + "healthz", timeout=5) as resp:
            assert resp.status == 200
        assert exp.proc.poll() is None, "the exporter must keep serving"
        server.start()
        wait_until(lambda: value(exp.metrics_text(), naming.UP.name) == 1, 2 * poll + 10,
                   "jupyter_up 1 after the server came back")
        assert "poll failed" in exp.log_text() and "reason=refused" in exp.log_text()
    finally:
        exp.stop()
        server.stop()


@pytest.mark.timeout(120)
def test_wrong_token_is_an_auth_error_and_never_shown(jupyter, tmp_path: Path) -> None:
    wrong = "wrong" + jupyter.token[5:][::-1]
    env = {**os.environ, "JUPYTER_TOKEN": wrong}
    exp = start_exporter([f"--jupyter-url=dev={jupyter.url}", "--poll-interval=1s",
                          "--probe-interval=0"], tmp_path / "exp.log", env=env)
    try:
        wait_until(lambda: value(exp.metrics_text(), naming.POLL_ERRORS.name,
                                 reason=naming.REASON_AUTH) >= 1, 20, "an auth poll error")
        metrics = exp.metrics_text()
        assert value(metrics, naming.UP.name) == 0
        with urllib.request.urlopen(exp.url, timeout=5) as resp:
            page = resp.read().decode()
        assert "auth" in page
    finally:
        exp.stop()
    for text in (metrics, page, exp.log_text(), " ".join(exp.proc.args)):
        assert wrong not in text
        assert jupyter.token not in text


@pytest.mark.timeout(150)
def test_polling_for_a_minute_does_not_move_last_activity(tmp_path: Path) -> None:
    server = make_server(tmp_path / "js")
    server.start()
    token_file = tmp_path / "token"
    token_file.write_text(server.token)
    try:
        before = server.get("api/status")["last_activity"]
        exp = start_exporter([f"--jupyter-url=dev={server.url}",
                              f"--jupyter-token-file={token_file}", "--poll-interval=1s",
                              "--probe-interval=0"], tmp_path / "exp.log")
        try:
            time.sleep(60)
            polls = value(exp.metrics_text(), naming.LAST_POLL.name)
            assert polls is not None and time.time() - polls < 5, "the exporter kept polling"
        finally:
            exp.stop()
        assert server.get("api/status")["last_activity"] == before
    finally:
        server.stop()
