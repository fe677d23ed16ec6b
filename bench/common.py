"""Shared plumbing for the benchmark scripts: child processes, ports, results.

Conventions every benchmark follows:
- Every server binds 127.0.0.1 on a port the kernel hands out (`free_port`), never a
  well-known default, and is stopped by its PID (`Child.stop`: SIGTERM, then SIGKILL).
- Every wait is bounded in time (`wait_until`); a benchmark that cannot get its parts up
  fails loudly instead of hanging.
- A benchmark returns a `Result`: its figures, at least one ratio against a peer measured in
  the same run (the machine is shared and noisy, so a ratio travels better than an absolute
  time), and its targets, each marked met or missed with the figure behind it. `emit` prints
  the result for people and, with `--json PATH`, writes it for `bench/run_all`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A loopback port nobody listens on now; the tiny race until the child binds it is
    accepted (the children here cannot take port 0 and report it back)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(check: Callable[[], bool], timeout: float, what: str,
               interval: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            if check():
                return
        time.sleep(interval)
    raise TimeoutError(f"{what} not ready after {timeout:.0f}s")


def http_get(url: str, timeout: float = 10.0, accept: str | None = None) -> bytes:
    request = urllib.request.Request(url, headers={"Accept": accept} if accept else {})
    with urllib.request.urlopen(request, timeout=timeout) as response:  # loopback only
        return bytes(response.read())


def http_ok(url: str) -> bool:
    try:
        http_get(url, timeout=2.0)
    except OSError:
        return False
    return True


def count_series(exposition: bytes) -> int:
    return sum(1 for line in exposition.decode().splitlines()
               if line and not line.startswith("#"))


class Child:
    """A child process in its own session, so a stop reaches it and nothing else."""

    def __init__(self, argv: Sequence[str], log: Path, env: dict[str, str] | None = None,
                 cwd: Path | None = None) -> None:
        self.log_path = log
        self._log = log.open("wb")
        self.proc = subprocess.Popen(list(argv), stdout=subprocess.PIPE, stderr=self._log,
                                     cwd=cwd or REPO, env=env, start_new_session=True)
        self.pid = self.proc.pid

    def first_line(self, timeout: float) -> str:
        """The child's first stdout line (children that report their addresses print one)."""
        assert self.proc.stdout is not None
        deadline = time.monotonic() + timeout
        os.set_blocking(self.proc.stdout.fileno(), False)
        buffer = b""
        while b"\n" not in buffer:
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise TimeoutError(f"no output from pid {self.pid}; see {self.log_path}")
            chunk = self.proc.stdout.read(65536)
            if chunk:
                buffer += chunk
            else:
                time.sleep(0.05)
        return buffer.split(b"\n", 1)[0].decode()

    def stop(self, timeout: float = 10.0) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(self.pid, signal.SIGKILL)
                self.proc.wait(5)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self._log.close()


@contextlib.contextmanager
def children() -> Iterator[list[Child]]:
    """Every child appended to the list is stopped on the way out, last started first."""
    started: list[Child] = []
    try:
        yield started
    finally:
        for child in reversed(started):
            child.stop()


def need(binary: str, package: str) -> str:
    found = shutil.which(binary)
    if found is None:
        raise SystemExit(f"{binary} not found: apt-get install -y --no-install-recommends "
                         f"{package}")
    return found


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def machine() -> dict[str, Any]:
    model = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {"cpu": model, "cores": os.cpu_count(), "memory_gib": round(mem_gib, 1),
            "python": platform.python_version(), "kernel": platform.release(),
            "load_avg_1m": round(os.getloadavg()[0], 2)}


@dataclass
class Target:
    what: str
    figure: str
    target: str
    met: bool


@dataclass
class Result:
    name: str
    title: str
    config: dict[str, Any] = field(default_factory=dict)
    table: list[dict[str, Any]] = field(default_factory=list)  # one row per case
    ratios: dict[str, float] = field(default_factory=dict)  # "ours / peer (what)" -> value
    targets: list[Target] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def target(self, what: str, figure: str, target: str, met: bool) -> None:
        self.targets.append(Target(what, figure, target, met))


def base_parser(description: str | None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="a tiny configuration, for the smoke test (seconds, not minutes)")
    parser.add_argument("--json", metavar="PATH", help="also write the result here")
    return parser


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def markdown_table(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return ""
    keys = list(rows[0])
    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    lines += ["| " + " | ".join(_cell(row.get(k, "")) for k in keys) + " |" for row in rows]
    return "\n".join(lines)


def emit(result: Result, json_path: str | None) -> None:
    print(f"== {result.title}")
    print(markdown_table(result.table))
    for what, value in result.ratios.items():
        print(f"ratio {what}: {value:.3g}")
    for target in result.targets:
        print(f"target {'MET' if target.met else 'MISSED'}: {target.what}: {target.figure} "
              f"(target {target.target})")
    for note in result.notes:
        print(f"note: {note}")
    print(f"({result.seconds:.1f} s)")
    if json_path:
        Path(json_path).write_text(json.dumps(asdict(result), indent=1) + "\n")


def run_main(description: str | None, body: Callable[[argparse.Namespace], Result],
             parser: argparse.ArgumentParser | None = None) -> int:
    parser = parser or base_parser(description)
    args = parser.parse_args()
    started = time.monotonic()
    result = body(args)
    result.seconds = time.monotonic() - started
    emit(result, args.json)
    return 0


def python() -> str:
    return sys.executable
