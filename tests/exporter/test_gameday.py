"""`jupyter-slo loadtest` and `jupyter-slo chaos` against a real Jupyter Server.

Both run as users run them (`python -m exporter.gameday`, a subprocess, token in the
environment). Crash counts are read from the real exporter (`python -m exporter`) watching the
same server, as in test_crashes_real.py.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from exporter import naming
from tests.exporter.metrics import value
from tests.exporter.servers import (
    JupyterServer,
    kernel_pids,
    make_server,
    start_exporter,
    wait_until,
)

pytestmark = pytest.mark.real
REPO = Path(__file__).resolve().parents[2]
POLL = 1.0


def gameday(jupyter: JupyterServer, *args: str, timeout: float = 90,
            token: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "JUPYTER_TOKEN": token or jupyter.token}
    return subprocess.run([sys.executable, "-m", "exporter.gameday", *args], env=env,
                          capture_output=True, text=True, timeout=timeout, cwd=REPO)


def kernel_ids(jupyter: JupyterServer) -> set[str]:
    return {k["id"] for k in jupyter.kernels()}


@pytest.mark.timeout(90)
def test_loadtest_at_concurrency_8_reports_the_distribution_and_leaves_no_kernel(
        jupyter: JupyterServer) -> None:
    before = kernel_ids(jupyter)
    done = gameday(jupyter, "loadtest", "--url", jupyter.url, "--concurrency", "8",
                   "--duration", "6s", "--output", "json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["failed"] == 0 and report["kernels_left"] == 0
    assert report["ok"] >= 8  # every worker finished at least its first start
    dist = report["startup_seconds"]
    assert list(dist) == ["min", "p50", "p90", "p95", "p99", "max", "mean"]
    assert 0 < dist["min"] <= dist["p50"] <= dist["p90"] <= dist["p99"] <= dist["max"] < 60
    assert "in flight" in done.stderr  # the progress line
    assert jupyter.token not in done.stdout + done.stderr
    assert kernel_ids(jupyter) <= before


@pytest.mark.timeout(90)
def test_loadtest_interrupted_by_ctrl_c_still_deletes_every_kernel(
        jupyter: JupyterServer, tmp_path: Path) -> None:
    before = kernel_ids(jupyter)
    err = tmp_path / "stderr"
    proc = subprocess.Popen(
        [sys.executable, "-m", "exporter.gameday", "loadtest", "--url", jupyter.url,
         "--concurrency", "4", "--duration", "60s"], cwd=REPO, stdout=subprocess.PIPE,
        stderr=err.open("wb"), env={**os.environ, "JUPYTER_TOKEN": jupyter.token})
    wait_until(lambda: len(kernel_ids(jupyter) - before) >= 2, 30, "the load's kernels")
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=60) == 128 + signal.SIGINT, err.read_text()
    table = proc.stdout.read().decode()  # type: ignore[union-attr]
    assert "0 kernels left behind" in table
    assert "startup seconds" in table
    assert kernel_ids(jupyter) <= before


@pytest.mark.timeout(60)
@pytest.mark.parametrize(("args", "message"), [
    pytest.param(["loadtest", "--url", "http://192.0.2.10:8888/", "--concurrency", "2",
                  "--duration", "2s"], "refusing non-loopback target",
                 id="loadtest refuses a remote server without --allow-remote"),
    pytest.param(["chaos", "kill-kernels", "--url", "http://192.0.2.10:8888/", "--rate", "1",
                  "--duration", "2s"], "refusing non-loopback target",
                 id="chaos refuses a remote server without --allow-remote"),
    pytest.param(["chaos", "kill-kernels", "--url", "{url}", "--rate", "50", "--duration",
                  "2s"], "invalid rate", id="chaos refuses a rate above its bound"),
    pytest.param(["loadtest", "--url", "{url}?token=planted-secret-xyz", "--concurrency", "2",
                  "--duration", "2s"], "must not carry credentials",
                 id="a token in the URL is refused without echoing it"),
    pytest.param(["loadtest", "--url", "{url}", "--concurrency", "2", "--duration", "2s"],
                 "auth", id="a wrong token is reported as an auth error before any load"),
])
def test_refusals_exit_2_before_touching_kernels(jupyter: JupyterServer, args: list[str],
                                                 message: str) -> None:
    before = kernel_ids(jupyter)
    argv = [a.replace("{url}", jupyter.url) for a in args]
    done = gameday(jupyter, *argv, timeout=30, token="planted-wrong-token")
    assert done.returncode == 2, done.stderr
    assert message in done.stderr
    for secret in ("planted-secret-xyz", "planted-wrong-token", jupyter.token):
        assert secret not in done.stdout + done.stderr
    assert kernel_ids(jupyter) == before


def _crashes(text: str) -> float:
    return value(text, naming.KERNEL_CRASHES.name, kernel_name="python3", kind="restart") or 0.0


@pytest.mark.timeout(150)
def test_chaos_kills_at_a_fixed_rate_count_as_crashes_and_api_restarts_do_not(
        tmp_path: Path) -> None:
    jupyter = make_server(tmp_path / "jupyter")
    jupyter.start()
    token_file = tmp_path / "token"
    token_file.write_text(jupyter.token)
    exp = None
    try:
        exp = start_exporter([f"--jupyter-url=dev={jupyter.url}",
                              f"--jupyter-token-file={token_file}",
                              f"--poll-interval={POLL}s", "--probe-interval=0"],
                             tmp_path / "exporter.log")
        wait_until(lambda: value(exp.metrics_text(), naming.EVENT_STREAM_UP.name) == 1, 20,
                   "the exporter's event stream")
        time.sleep(2 * POLL)
        ids = [jupyter.request("POST", "api/kernels", {"name": "python3"})[1]["id"]
               for _ in range(3)]
        for kid in ids:
            wait_until(lambda kid=kid: kernel_pids(kid), 30, "a kernel process")
        time.sleep(2.0)  # let the kernels finish booting
        # rate 2/s for 1.5s: ticks at 0, 0.5 and 1.0 s, one kill per kernel
        done = gameday(jupyter, "chaos", "kill-kernels", "--url", jupyter.url, "--rate", "2",
                       "--duration", "1.5s", "--output", "json")
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout) == {"actions": 3, "skipped": 0, "errors": 0,
                                           "kernels_hit": 3, "planned": 3}
        wait_until(lambda: _crashes(exp.metrics_text()) == 3, 40, "three restart crashes")
        done = gameday(jupyter, "chaos", "restart-kernels", "--url", jupyter.url, "--rate",
                       "2", "--duration", "1s", "--output", "json")
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["actions"] == 2
        time.sleep(8 * POLL)  # well past the exporter's event grace and restart credits
        text = exp.metrics_text()
        assert _crashes(text) == 3
        assert value(text, naming.KERNEL_CRASHES.name, kernel_name="python3",
                     kind="death") == 0
        assert kernel_ids(jupyter) == set(ids)  # chaos deletes nothing; kernels came back
    finally:
        if exp is not None:
            exp.stop()
        jupyter.stop()
