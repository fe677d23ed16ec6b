"""Scrape: `/metrics` latency (p50, p99) and throughput under `wrk`, for the exporter serving
about 1k and 10k series, side by side with `prometheus-node-exporter` at its default
collectors, all in the same run on the same machine.

The exporter runs as `python -m exporter` in Hub mode against a simulated fleet (bench/
fleet_child.py) sized so that its exposition holds the wanted number of series; its poll
interval is an hour, so after the first cycle nothing but scrapes runs in it. Each target gets
two `wrk` runs: one connection (`-t1 -c1`: a scrape at a time, as Prometheus does; gives the
latency figures) and four connections (`-t2 -c4`: throughput). Requests carry no Accept or
Accept-Encoding header, so both exporters answer uncompressed text format 0.0.4. Every server
binds 127.0.0.1 on a free port and is stopped by PID.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.common import (
    Child,
    Result,
    base_parser,
    children,
    count_series,
    free_port,
    http_get,
    http_ok,
    need,
    python,
    run_main,
    wait_until,
)
from bench.fleet_child import start_fleet

KERNELS = 20
UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}
PERCENTILE = re.compile(r"^\s*(50|99)(?:\.0+)?%\s+([\d.]+)(us|ms|s)\s*$", re.M)
RATE = re.compile(r"^Requests/sec:\s+([\d.]+)", re.M)
ERRORS = re.compile(r"Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)")


def wrk(url: str, seconds: int, threads: int, connections: int) -> dict[str, float]:
    done = subprocess.run(["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s",
                           "--timeout", "10s", "--latency", url],
                          capture_output=True, text=True, timeout=seconds + 60)
    if done.returncode:
        raise RuntimeError(f"wrk failed: {done.stderr}")
    found = {p: float(v) * UNITS[u] for p, v, u in PERCENTILE.findall(done.stdout)}
    rate = RATE.search(done.stdout)
    if "50" not in found or "99" not in found or rate is None:
        raise RuntimeError(f"cannot read wrk's output:\n{done.stdout}")
    errors = ERRORS.search(done.stdout)
    return {"p50_ms": found["50"], "p99_ms": found["99"], "rps": float(rate.group(1)),
            "errors": 0.0 if errors is None else 1.0}


def start_exporter(started: list[Child], work: Path, servers: int) -> tuple[str, int]:
    fleet = start_fleet(started, work, servers, KERNELS)
    port = free_port()
    started.append(Child([python(), "-m", "exporter", *fleet.exporter_flags(),
                          "--web.listen-address", f"127.0.0.1:{port}",
                          "--poll-interval", "1h", "--probe-interval", "0"],
                         work / f"exporter-{servers}.log"))
    url = f"http://127.0.0.1:{port}/metrics"

    def all_up() -> bool:
        body = http_get(url).decode()
        return body.count("jupyter_up{") >= servers and ' 0.0\n' not in "".join(
            line + "\n" for line in body.splitlines() if line.startswith("jupyter_up{"))

    wait_until(all_up, 120, f"exporter over {servers} servers")
    return url, count_series(http_get(url))


def start_node_exporter(started: list[Child], work: Path) -> tuple[str, int]:
    binary = need("prometheus-node-exporter", "prometheus-node-exporter")
    port = free_port()
    started.append(Child([binary, f"--web.listen-address=127.0.0.1:{port}"],
                         work / "node-exporter.log"))
    url = f"http://127.0.0.1:{port}/metrics"
    wait_until(lambda: http_ok(url), 30, "node_exporter")
    return url, count_series(http_get(url))


def measure(name: str, url: str, series: int, seconds: int) -> dict[str, Any]:
    http_get(url)  # one warm-up scrape
    latency = wrk(url, seconds, 1, 1)
    load = wrk(url, seconds, 2, 4)
    return {"target": name, "series": series, "p50 ms": round(latency["p50_ms"], 2),
            "p99 ms": round(latency["p99_ms"], 2), "scrapes/s (1 conn)": latency["rps"],
            "scrapes/s (4 conns)": load["rps"],
            "errors": "yes" if latency["errors"] or load["errors"] else "none"}


def run(args: argparse.Namespace) -> Result:
    need("wrk", "wrk")
    # about 33 series per server with 20 kernels, so 30 and 300 servers give ~1k and ~10k
    sizes = (3, 10) if args.quick else (30, 300)
    seconds = 1 if args.quick else args.seconds
    result = Result("scrape", "Scrape: /metrics latency and throughput under wrk",
                    config={"wrk_seconds_per_run": seconds, "kernels_per_server": KERNELS,
                            "fleet_servers": sizes})
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-scrape-") as tmp, children() as started:
        work = Path(tmp)
        node_url, node_series = start_node_exporter(started, work)
        rows.append(measure("node_exporter (default collectors)", node_url, node_series,
                            seconds))
        for servers in sizes:
            url, series = start_exporter(started, work, servers)
            rows.append(measure(f"jupyter-slo exporter, {servers} servers", url, series,
                                seconds))
            for child in reversed(started[1:]):  # this size's exporter and fleet
                child.stop()
            del started[1:]
    result.table = rows
    node, small, big = rows
    for row in (small, big):
        result.ratios[f"ours@{row['series']} series / node_exporter, p50"] = (
            row["p50 ms"] / node["p50 ms"])
    result.ratios[f"ours@{big['series']} series / node_exporter, scrapes/s (4 conns)"] = (
        big["scrapes/s (4 conns)"] / node["scrapes/s (4 conns)"])
    met = big["p50 ms"] <= node["p50 ms"]
    result.target(f"p50 per scrape at {big['series']} series vs node_exporter's at "
                  f"{node['series']}", f"{big['p50 ms']} ms vs {node['p50 ms']} ms",
                  "no worse", met)
    return result


def parser() -> argparse.ArgumentParser:
    p = base_parser(__doc__)
    p.add_argument("--seconds", type=int, default=5, help="duration of each wrk run")
    return p


if __name__ == "__main__":
    sys.exit(run_main(__doc__, run, parser()))
