"""Measuring the exporter from outside: its RSS, scrape latency, and the series it serves.

Conventions: RSS in MiB from psutil; latencies in seconds, timed around a whole
`GET /metrics` on a fresh connection (what Prometheus pays); `series` are
(name, sorted label items) pairs, so two scrapes compare as sets.
"""

from __future__ import annotations

import statistics
import time
import urllib.request
from pathlib import Path

import psutil

from tests.exporter.metrics import samples
from tests.exporter.servers import ExporterProcess, start_exporter

Series = tuple[str, tuple[tuple[str, str], ...]]


def rss_mib(pid: int) -> float:
    return psutil.Process(pid).memory_info().rss / 2**20


def scrape_seconds(url: str, count: int, pause: float = 0.0) -> list[float]:
    """`count` timed scrapes of `url` (bounded: each has a 10 s limit)."""
    out = []
    for _ in range(count):
        start = time.perf_counter()
        with urllib.request.urlopen(url, timeout=10) as resp:
            resp.read()
            assert resp.status == 200
        out.append(time.perf_counter() - start)
        if pause:
            time.sleep(pause)
    return out


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def median(values: list[float]) -> float:
    return statistics.median(values)


def series(text: str) -> set[Series]:
    return {(name, tuple(sorted(labels.items()))) for name, labels, _ in samples(text)}


def total(text: str, name: str, **labels: str) -> float:
    """Sum of every sample `name` whose labels include `labels` (0 when there is none)."""
    return sum(v for n, lab, v in samples(text)
               if n == name and all(lab.get(k) == x for k, x in labels.items()))


def exporter_for(url: str, token: str, workdir: Path, *extra: str,
                 name: str = "dev") -> ExporterProcess:
    """The exporter as a subprocess watching one server; the token goes through a file."""
    workdir.mkdir(parents=True, exist_ok=True)
    token_file = workdir / "token"
    token_file.write_text(token)
    token_file.chmod(0o600)
    return start_exporter([f"--jupyter-url={name}={url}", f"--jupyter-token-file={token_file}",
                           "--probe-interval=0", *extra], workdir / "exporter.log")


def unread_request_bytes(port: int) -> int:
    """Bytes clients sent to a local TCP listener on `port` that its process has not read
    yet (`rx_queue` of the established sockets in /proc/net/tcp): above 0 while a request
    waits on a stopped server, which is how a test knows a poll is in flight."""
    unread = 0
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, state, queues = fields[1], fields[3], fields[4]
        if state == "01" and int(local.rsplit(":", 1)[1], 16) == port:
            unread += int(queues.split(":")[1], 16)
    return unread
