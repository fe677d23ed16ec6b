"""Real processes for the exporter tests: Jupyter Servers with ipykernel, and the exporter.

Servers bind 127.0.0.1 on a free port, get their token through the environment (never the
command line, which `ps` shows), run in a temp root dir with their own runtime dir and
kernelspecs, and are stopped by PID. `crashy` is a kernelspec whose process exits at boot.
Restarter timing is shortened (`time_to_dead`) so crash tests finish in seconds, not minutes.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(check: Callable[[], T | None], timeout: float, what: str,
               interval: float = 0.2) -> T:
    """Poll `check` until it returns something truthy; fail with `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = check()
        except (OSError, ValueError) as exc:
            last = exc
        if last and not isinstance(last, Exception):
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


@dataclass
class JupyterServer:
    port: int
    token: str
    root: Path
    runtime_dir: Path
    log_path: Path
    proc: subprocess.Popen[bytes] | None = None
    env: dict[str, str] = field(default_factory=dict)
    extra_args: tuple[str, ...] = ()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def start(self, timeout: float = 60.0) -> None:
        cmd = [sys.executable, "-m", "jupyter_server", f"--port={self.port}",
               "--ip=127.0.0.1", "--ServerApp.port_retries=0", "--no-browser",
               "--ServerApp.allow_root=True", f"--ServerApp.root_dir={self.root}",
               "--KernelRestarter.time_to_dead=0.5", *self.extra_args]
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(cmd, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        wait_until(lambda: self.proc.poll() is None and self.get("api/status"), timeout,
                   f"Jupyter Server on port {self.port} (log {self.log_path})", 0.3)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def request(self, method: str, path: str, body: Any = None, token: str | None = None,
                query: str = "") -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path + query, data=data, method=method)
        req.add_header("Authorization", f"token {token or self.token}")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                raw = resp.read()
                return resp.status, json.loads(raw) if raw.strip().startswith((b"{", b"[")) \
                    else raw.decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode(errors="replace")

    def get(self, path: str) -> Any:
        status, body = self.request("GET", path, query="?no_track_activity=1")
        return body if status == 200 else None

    def kernels(self) -> list[dict[str, Any]]:
        return self.get("api/kernels") or []

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")


def write_kernelspecs(share: Path) -> None:
    """python3 from this interpreter, and `crashy`, whose process exits at boot."""
    kernels = share / "kernels"
    specs = {
        "python3": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "crashy": [sys.executable, "-c", "import sys; sys.exit(3)", "{connection_file}"],
    }
    for name, argv in specs.items():
        (kernels / name).mkdir(parents=True, exist_ok=True)
        (kernels / name / "kernel.json").write_text(json.dumps(
            {"argv": argv, "display_name": name, "language": "python"}))


def make_server(base: Path, extra_args: Sequence[str] = ()) -> JupyterServer:
    root, runtime, share = base / "root", base / "runtime", base / "share"
    for path in (root, runtime, share):
        path.mkdir(parents=True, exist_ok=True)
    write_kernelspecs(share)
    token = secrets.token_hex(24)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "JPY"))}
    env.update(JUPYTER_TOKEN=token, JUPYTER_RUNTIME_DIR=str(runtime), JUPYTER_PATH=str(share),
               JUPYTER_CONFIG_DIR=str(base / "config"), JUPYTER_DATA_DIR=str(base / "data"),
               HOME=str(base), IPYTHONDIR=str(base / "ipython"), PYTHONUNBUFFERED="1")
    return JupyterServer(port=free_port(), token=token, root=root, runtime_dir=runtime,
                         log_path=base / "server.log", env=env, extra_args=tuple(extra_args))


@contextmanager
def running_server(base: Path) -> Iterator[JupyterServer]:
    """A started `make_server(base)`, stopped on exit (the shared fixtures' body)."""
    server = make_server(base)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def write_secret(path: Path, text: str) -> Path:
    """`text` in a file only its owner can read, as a mounted token would be."""
    path.write_text(text)
    path.chmod(0o600)
    return path


def kernel_pids(kernel_id: str) -> list[int]:
    """PIDs of the processes whose command line names this kernel's connection file."""
    import psutil

    marker = f"kernel-{kernel_id}.json"
    pids = []
    for proc in psutil.process_iter(["pid", "cmdline"]):
        cmdline = proc.info.get("cmdline") or []
        if any(marker in part for part in cmdline):
            pids.append(proc.info["pid"])
    return pids


def kill_kernel_processes(kernel_ids: Iterable[str]) -> None:
    """SIGKILL whatever still runs of these kernels (a test's clean-up after a server it
    killed could not reap them)."""
    for kid in kernel_ids:
        for pid in kernel_pids(kid):
            os.kill(pid, signal.SIGKILL)


@dataclass
class ExporterProcess:
    """The exporter run as users run it: `python -m exporter`, a subprocess."""

    port: int
    log_path: Path
    proc: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def metrics_text(self) -> str:
        with urllib.request.urlopen(self.url + "metrics", timeout=10) as resp:
            return resp.read().decode()

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 40.0) -> int | None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                return self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        return self.proc.returncode


def start_exporter(args: Sequence[str], log_path: Path, env: dict[str, str] | None = None,
                   timeout: float = 30.0) -> ExporterProcess:
    port = free_port()
    cmd = [sys.executable, "-m", "exporter", f"--web.listen-address=127.0.0.1:{port}", *args]
    log = log_path.open("ab")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            env=env if env is not None else dict(os.environ),
                            cwd=str(Path(__file__).resolve().parents[2]))
    exp = ExporterProcess(port, log_path, proc)
    wait_until(lambda: proc.poll() is None and exp.metrics_text(), timeout,
               f"the exporter on port {port} (log {log_path})", 0.2)
    return exp
