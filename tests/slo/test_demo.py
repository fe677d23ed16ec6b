"""`jupyter-slo demo` as users run it: a subprocess, read line by line, stopped by signal."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from tests.exporter.servers import wait_until

pytestmark = pytest.mark.real
REPO = Path(__file__).resolve().parents[2]


class Demo:
    def __init__(self, args: list[str], env: dict[str, str] | None = None) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "slo.demo", *args], cwd=REPO,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, text=True, env=env)
        self.lines: queue.Queue[str] = queue.Queue()
        self.output: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)

    def wait_for(self, pattern: str, timeout: float) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.5)
            except queue.Empty:
                continue
            self.output.append(line)
            match = re.search(pattern, line)
            if match:
                return match
        raise AssertionError(f"no line matching {pattern!r} in {timeout}s:\n"
                             + "".join(self.output))

    def finish(self, timeout: float) -> str:
        rc = self.proc.wait(timeout=timeout)
        time.sleep(0.5)
        while not self.lines.empty():
            self.output.append(self.lines.get())
        self.rc = rc
        return "".join(self.output)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}").exists() and "Z" not in _state(pid)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return "Z"


def _using(root: str) -> list[int]:
    """Processes whose command line mentions the demo's temp dir (kernels included)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if root.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def _assert_cleaned_up(output: str) -> None:
    root = re.search(r"working directory: (\S+)", output).group(1)  # type: ignore[union-attr]
    pids = [int(p) for p in re.findall(r"running \(pid (\d+)\)", output)]
    assert pids
    wait_until(lambda: not [p for p in pids if _alive(p)] or None, 20, "children to go")
    assert not Path(root).exists()
    assert not _using(root)


@pytest.mark.timeout(240)
def test_without_prometheus_it_explains_and_serves_metrics_until_sigterm(tmp_path: Path) -> None:
    env = {**os.environ, "PATH": str(tmp_path)}  # no prometheus, no alertmanager
    demo = Demo([], env)
    try:
        url = demo.wait_for(r"exporter metrics: (http://127\.0\.0\.1:\d+/metrics)", 150)[1]
        with urllib.request.urlopen(url, timeout=10) as resp:
            text = resp.read().decode()
        assert re.search(r'^jupyter_up\{server="demo"\} 1\.0$', text, re.M), text[:2000]
        demo.wait_for(r"apt-get install --no-install-recommends prometheus", 30)
        demo.wait_for(r"running; Ctrl-C stops everything", 30)
        demo.proc.send_signal(signal.SIGTERM)
        output = demo.finish(120)
    finally:
        demo.kill()
    assert demo.rc == 0, output
    assert not re.search(r"\b[0-9a-f]{48}\b", output)  # the token file is named, never the token
    _assert_cleaned_up(output)


@pytest.mark.timeout(330)
def test_inject_crash_shows_a_page_arriving() -> None:
    demo = Demo(["--inject", "crash", "--exit-on-page", "--duration", "200"])
    try:
        output = demo.finish(300)
    finally:
        demo.kill()
    assert demo.rc == 0, output
    assert re.search(r"page: FIRING JupyterKernelCrashBudgetBurn \(page\) "
                     r"jupyter-demo-kernel-crashes", output), output
    assert re.search(r"runbook: file://\S+/alerts/runbooks/kernel-crash\.md", output), output
    assert "page received" in output
    _assert_cleaned_up(output)
