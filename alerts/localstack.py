"""Prometheus, Alertmanager and a webhook sink on loopback: `demo` and the end-to-end tests.

This is the I/O edge of alerting: it writes configs, starts the two binaries (Debian's
`prometheus` and `prometheus-alertmanager`) and owns their processes by PID. Conventions:
everything binds 127.0.0.1 on a port the caller picked (`free_port`); Alertmanager runs with
gossip off (`--cluster.listen-address=`); Prometheus runs with
`--rules.alert.resend-delay=1s`, or its first alert waits a minute for the notifier
(research/tooling.md §1); children start in their own session, so a Ctrl-C in the terminal
reaches only the parent, which stops them in order; every wait is bounded.
"""

from __future__ import annotations

import json
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from slo.render import dump

ALERTMANAGER_NAMES = ("prometheus-alertmanager", "alertmanager")
MAX_NOTIFICATIONS = 10_000
MAX_BODY = 4 * 1024 * 1024


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class Binaries:
    prometheus: str
    alertmanager: str


def find_binaries() -> Binaries | None:
    """Both binaries from PATH, or None: the demo then runs the exporter alone."""
    prometheus = shutil.which("prometheus")
    alertmanager = next((p for p in map(shutil.which, ALERTMANAGER_NAMES) if p), None)
    return Binaries(prometheus, alertmanager) if prometheus and alertmanager else None


def prometheus_config(*, job: str, exporter: str, alertmanager: str, rule_files: Sequence[str],
                      interval: str) -> str:
    """A Prometheus config scraping one exporter and alerting one Alertmanager."""
    return dump({
        "global": {"scrape_interval": interval, "evaluation_interval": interval},
        "rule_files": list(rule_files),
        "alerting": {"alertmanagers": [{"static_configs": [{"targets": [alertmanager]}]}]},
        "scrape_configs": [{"job_name": job, "static_configs": [{"targets": [exporter]}]}],
    })


def get(url: str, timeout: float = 5.0) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as resp:
        return resp.read()


@dataclass
class Process:
    """A child we started; stopped by PID with SIGTERM, then SIGKILL after `grace`."""

    name: str
    proc: subprocess.Popen[bytes]
    log_path: Path
    url: str = ""

    def stop(self, grace: float = 15.0) -> None:
        if self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def log_tail(self, chars: int = 2000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""


def spawn(name: str, cmd: Sequence[str], log_path: Path, env: dict[str, str] | None = None,
          cwd: Path | None = None) -> Process:
    with log_path.open("ab") as log:
        proc = subprocess.Popen(list(cmd), stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, env=env, cwd=cwd,
                                start_new_session=True)
    return Process(name, proc, log_path)


def wait_for(process: Process, check: Callable[[], Any], timeout: float, what: str = "",
             retry_on: tuple[type[Exception], ...] = (OSError,)) -> Any:
    """Poll `check` until it returns something truthy, and return that; raise with the
    log's tail when the process dies or the time is up, so a failed start explains itself.
    `retry_on`: exceptions of `check` that mean "not yet" (a refused connection)."""
    what = what or process.name
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.proc.poll() is not None:
            raise RuntimeError(f"{what} exited ({process.proc.returncode}):\n"
                               f"{process.log_tail()}")
        try:
            result = check()
        except retry_on:
            result = None
        if result:
            return result
        time.sleep(0.2)
    raise RuntimeError(f"{what} not ready after {timeout:.0f}s:\n{process.log_tail()}")


def wait_ready(process: Process, url: str, timeout: float) -> None:
    """`wait_for` the first 200 from `url`."""
    def answered() -> bool:
        get(url, timeout=2)
        return True

    wait_for(process, answered, timeout)


def start_alertmanager(binary: str, config: Path, workdir: Path, port: int,
                       timeout: float = 60.0) -> Process:
    (workdir / "alertmanager-data").mkdir(parents=True, exist_ok=True)
    address = f"127.0.0.1:{port}"
    cmd = [binary, f"--config.file={config}", f"--storage.path={workdir / 'alertmanager-data'}",
           f"--web.listen-address={address}", "--cluster.listen-address=",
           f"--web.external-url=http://{address}/"]
    return _start_ready("Alertmanager", cmd, workdir / "alertmanager.log", address, timeout)


def start_prometheus(binary: str, config: Path, workdir: Path, port: int,
                     timeout: float = 60.0) -> Process:
    (workdir / "prometheus-data").mkdir(parents=True, exist_ok=True)
    address = f"127.0.0.1:{port}"
    cmd = [binary, f"--config.file={config}", f"--storage.tsdb.path={workdir / 'prometheus-data'}",
           f"--web.listen-address={address}", f"--web.external-url=http://{address}/",
           "--rules.alert.resend-delay=1s", "--storage.tsdb.retention.time=1d"]
    return _start_ready("Prometheus", cmd, workdir / "prometheus.log", address, timeout,
                        cwd=workdir)


def _start_ready(name: str, cmd: Sequence[str], log: Path, address: str, timeout: float,
                 cwd: Path | None = None) -> Process:
    """Start a Prometheus-family server and wait for `/-/ready`; stop it if it never is."""
    process = spawn(name, cmd, log, cwd=cwd)
    process.url = f"http://{address}/"
    try:
        wait_ready(process, process.url + "-/ready", timeout)
    except RuntimeError:
        process.stop()
        raise
    return process


@dataclass(frozen=True)
class Notification:
    """One webhook delivery from Alertmanager (payload version 4)."""

    received: float  # time.time()
    path: str
    payload: dict[str, Any]

    @property
    def receiver(self) -> str:
        return str(self.payload.get("receiver", ""))

    @property
    def alerts(self) -> list[dict[str, Any]]:
        return list(self.payload.get("alerts", []))

    def firing(self, **labels: str) -> list[dict[str, Any]]:
        """Alerts of this delivery that fire and carry every given label value."""
        return [a for a in self.alerts if a.get("status") == "firing"
                and all(a.get("labels", {}).get(k) == v for k, v in labels.items())]


def describe(notification: Notification) -> str:
    """One line per alert, for people: what, how bad, which SLO or server, what to read."""
    stamp = time.strftime("%H:%M:%S", time.localtime(notification.received))
    lines = []
    for alert in notification.alerts:
        labels, notes = alert.get("labels", {}), alert.get("annotations", {})
        where = labels.get("sloth_id") or labels.get("server") or labels.get("instance", "")
        lines.append(f"[{stamp}] {notification.receiver}: {alert.get('status', '?').upper()} "
                     f"{labels.get('alertname', '?')} ({labels.get('sloth_severity', '-')}) "
                     f"{where}\n    {notes.get('summary') or notes.get('title', '')}\n"
                     f"    runbook: {notes.get('runbook_url', '-')}\n"
                     f"    dashboard: {notes.get('dashboard_url', '-')}")
    return "\n".join(lines)


@dataclass
class WebhookSink:
    """An HTTP server on loopback that keeps every Alertmanager delivery (bounded)."""

    on_notification: Callable[[Notification], None] | None = None
    notifications: list[Notification] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> str:
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = min(int(self.headers.get("Content-Length") or 0), MAX_BODY)
                try:
                    payload = json.loads(self.rfile.read(length) or b"{}")
                except ValueError:
                    self.send_response(400)
                    self.end_headers()
                    return
                sink._record(Notification(time.time(), self.path, payload))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, name="webhook-sink",
                         daemon=True).start()
        return f"http://127.0.0.1:{self._server.server_address[1]}/"

    def _record(self, notification: Notification) -> None:
        with self._lock:
            if len(self.notifications) < MAX_NOTIFICATIONS:
                self.notifications.append(notification)
        if self.on_notification is not None:
            self.on_notification(notification)

    def snapshot(self) -> list[Notification]:
        with self._lock:
            return list(self.notifications)

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
