"""Fleet poll: one exporter poll cycle over 10, 100 and 1,000 simulated servers x 20 kernels.

Each fleet size runs in fresh processes: the simulated fleet (bench/fleet_child.py) in one,
the exporter's engine in another (`--measure`), built from the real command-line flags in Hub
mode (`--poll.heavy-every` 4, 64 polls in flight), so its wall time, CPU seconds
(`time.process_time`, all threads) and RSS are the exporter's alone. The poll interval is set
to an hour: the engine's first cycle (fleet listing, workers started, every server's first
poll, which reads all seven endpoints) runs at once and is reported as `cold`; then the
benchmark drives four more cycles, one heavy-every period, and reports them as `steady`.
Targets are judged on the worst steady cycle.

What a steady cycle reads (exporter/engine.py, exporter/sources/poll.py): every server's
status, kernels and sessions; each server's heavy poll (terminals and its own /metrics) falls
on one of the four cycles by a stable hash of its name, so every cycle carries about a
quarter of the heavy work and no cycle carries all of it; version and kernelspecs are read
on (re)connect, after a server restart, for an unknown kernelspec, and every 32nd poll
(about 1/32 of the servers per cycle). Earlier versions put every heavy poll on the same
cycle and re-read the version and kernelspecs on each, so their worst steady cycle was
heavier work than today's (bench/RESULTS.md may still show figures from then); the peer's
second line says what today's steady work costs bare.

The peer (`--peer`) is the floor, in its own process, after one warm-up cycle: a bare aiohttp
client that decodes the JSON and does nothing else. Its first line fetches the seven
endpoints a first (cold) poll reads for every server; its second line fetches what an
average steady cycle reads: status, kernels and sessions for every server plus terminals and
/metrics for every fourth (version and kernelspec re-reads, 1/32 of the servers, are left
out, which makes that peer slightly cheaper than the exporter's real work). The simulator's
/metrics page is three lines; a real server's is about 170 lines (20 KB), which costs a
real fleet more transfer than the benchmark shows. Everything stays on 127.0.0.1 and every
cycle has a time limit.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import Result, base_parser, children, python, run_main
from bench.fleet_child import start_fleet

KERNELS = 20
STEADY_CYCLES = 4  # one heavy-every period: each server has one heavy poll in it
CYCLE_LIMIT_S = 120.0
HEAVY_PATHS = ("api", "api/status", "api/kernels", "api/sessions", "api/terminals",
               "api/kernelspecs", "metrics")
LIGHT_PATHS = ("api/status", "api/kernels", "api/sessions")
STAGGERED_PATHS = ("api/terminals", "metrics")  # one server in HEAVY_EVERY per cycle
HEAVY_EVERY = 4


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * resource.getpagesize() / 2**20


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def _measure(fleet: dict[str, Any]) -> dict[str, Any]:
    from exporter import __version__
    from exporter.cli import build_parser, config_from_args
    from exporter.engine import build_engine

    args = build_parser().parse_args([
        "--hub-url", fleet["hub_url"], "--hub-token-file", fleet["hub_token_file"],
        "--proxy-api-url", fleet["hub_url"], "--proxy-token-file", fleet["proxy_token_file"],
        "--web.listen-address", "127.0.0.1:0", "--poll-interval", "1h",
        "--probe-interval", "0"])
    engine = build_engine(config_from_args(args), __version__)
    out: dict[str, Any] = {"rss_before_mb": rss_mb()}
    cpu, wall = time.process_time(), time.monotonic()
    task = asyncio.create_task(engine.run())
    try:
        while engine.cycle_seconds is None:
            if task.done() or time.monotonic() - wall > CYCLE_LIMIT_S:
                raise RuntimeError(f"first cycle did not finish: {task}")
            await asyncio.sleep(0.01)
        out["cold"] = {"wall_s": engine.cycle_seconds, "cpu_s": time.process_time() - cpu,
                       "rss_mb": rss_mb()}
        out["servers"] = len(engine.workers)
        await asyncio.sleep(1.0)  # let the event-stream subscriptions settle
        steady = []
        for _ in range(STEADY_CYCLES):
            cpu, wall = time.process_time(), time.monotonic()
            await asyncio.wait_for(engine.cycle(refresh=False), CYCLE_LIMIT_S)
            steady.append({"wall_s": time.monotonic() - wall,
                           "cpu_s": time.process_time() - cpu, "rss_mb": rss_mb()})
        out["steady"] = steady
        view = engine.view()
        out["up"] = sum(1 for t in view.targets if t.up)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    out["peak_rss_mb"] = peak_rss_mb()
    return out


async def _peer(fleet: dict[str, Any]) -> dict[str, Any]:
    import aiohttp

    headers = {"Authorization": f"token {fleet['hub_token']}"}
    limit = asyncio.Semaphore(64)
    failures = 0

    async def one(session: aiohttp.ClientSession, base: str,
                  paths: tuple[str, ...] = HEAVY_PATHS) -> None:
        nonlocal failures
        async with limit:
            for path in paths:
                async with session.get(base + path, params={"no_track_activity": "1"},
                                       headers=headers) as response:
                    if response.status != 200:
                        failures += 1
                    elif path == "metrics":
                        await response.text()
                    else:
                        await response.json()

    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(timeout=timeout,
                                     connector=aiohttp.TCPConnector(limit=0)) as session:
        cycles = []
        for _ in range(2):  # a warm-up cycle opens the connections, as the exporter's has
            cpu, wall = time.process_time(), time.monotonic()
            await asyncio.wait_for(asyncio.gather(*(one(session, b) for b in fleet["servers"])),
                                   CYCLE_LIMIT_S)
            cycles.append({"wall_s": time.monotonic() - wall,
                           "cpu_s": time.process_time() - cpu})
        cpu, wall = time.process_time(), time.monotonic()
        steady = [one(session, base, LIGHT_PATHS + STAGGERED_PATHS if i % HEAVY_EVERY == 0
                      else LIGHT_PATHS) for i, base in enumerate(fleet["servers"])]
        await asyncio.wait_for(asyncio.gather(*steady), CYCLE_LIMIT_S)
        steady_cycle = {"wall_s": time.monotonic() - wall, "cpu_s": time.process_time() - cpu}
    return {"cycle": cycles[-1], "steady": steady_cycle, "failures": failures,
            "peak_rss_mb": peak_rss_mb()}


def _child(kind: str, fleet_file: str) -> int:
    fleet = json.loads(Path(fleet_file).read_text())
    body = _measure(fleet) if kind == "measure" else _peer(fleet)
    print(json.dumps(asyncio.run(body)))
    return 0


def _run_child(kind: str, fleet_file: Path) -> dict[str, Any]:
    done = subprocess.run([python(), "-m", "bench.fleet_poll", f"--{kind}", str(fleet_file)],
                          capture_output=True, text=True, timeout=600)
    if done.returncode:
        raise RuntimeError(f"{kind} child failed: {done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def run(args: argparse.Namespace) -> Result:
    sizes = (3, 10) if args.quick else (10, 100, 1000)
    result = Result("fleet_poll", "Fleet poll: one exporter poll cycle over a simulated fleet",
                    config={"kernels_per_server": KERNELS, "sizes": list(sizes),
                            "steady_cycles": STEADY_CYCLES, "heavy_every": 4,
                            "max_concurrency": 64})
    rows: dict[int, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-fleet-") as tmp:
        work = Path(tmp)
        for size in sizes:
            with children() as started:
                fleet = start_fleet(started, work, size, KERNELS)
                fleet_file = work / f"fleet-{size}.json"
                fleet_file.write_text(json.dumps({
                    "hub_url": fleet.hub_url, "hub_token": fleet.hub_token,
                    "hub_token_file": str(fleet.hub_token_file),
                    "proxy_token_file": str(fleet.proxy_token_file),
                    "servers": list(fleet.servers)}))
                fleet_file.chmod(0o600)
                ours = _run_child("measure", fleet_file)
                peer = _run_child("peer", fleet_file)
            rows[size] = {"ours": ours, "peer": peer}
    for size, row in rows.items():
        ours, peer = row["ours"], row["peer"]
        steady = ours["steady"]
        worst = max(steady, key=lambda c: c["wall_s"])
        result.table.append({
            "servers": size, "up": ours["up"],
            "cold wall s": round(ours["cold"]["wall_s"], 3),
            "cold CPU s": round(ours["cold"]["cpu_s"], 3),
            "steady wall s (mean/worst)": f"{sum(c['wall_s'] for c in steady) / len(steady):.3f}"
                                          f" / {worst['wall_s']:.3f}",
            "steady CPU s (mean/worst)": f"{sum(c['cpu_s'] for c in steady) / len(steady):.3f} / "
                                         f"{max(c['cpu_s'] for c in steady):.3f}",
            "RSS MB (start/peak)": f"{ours['rss_before_mb']:.0f} / {ours['peak_rss_mb']:.0f}",
            "RSS growth over steady cycles MB": round(steady[-1]["rss_mb"] - steady[0]["rss_mb"],
                                                      1),
            "peer wall s": round(peer["cycle"]["wall_s"], 3),
            "peer CPU s": round(peer["cycle"]["cpu_s"], 3),
            "peer, steady-cycle endpoints, wall / CPU s":
                f"{peer['steady']['wall_s']:.3f} / {peer['steady']['cpu_s']:.3f}"})
    big, small = max(rows), min(rows)
    ours, peer = rows[big]["ours"], rows[big]["peer"]
    worst_wall = max(c["wall_s"] for c in ours["steady"])
    worst_cpu = max(c["cpu_s"] for c in ours["steady"])
    result.ratios[f"exporter worst steady cycle / bare fetch of all 7 endpoints, CPU, {big} "
                  "servers"] = worst_cpu / peer["cycle"]["cpu_s"]
    result.ratios[f"exporter worst steady cycle / bare fetch of all 7 endpoints, wall, {big} "
                  "servers"] = worst_wall / peer["cycle"]["wall_s"]
    result.ratios[f"exporter worst steady cycle / bare fetch of a steady cycle's endpoints, "
                  f"CPU, {big} servers"] = worst_cpu / peer["steady"]["cpu_s"]
    span = big - small
    small_rows = rows[small]["ours"]
    result.notes.append(
        "growth with the fleet, per extra server: "
        f"{(ours['peak_rss_mb'] - small_rows['peak_rss_mb']) / span * 1024:.0f} KiB peak RSS, "
        f"{(worst_cpu - max(c['cpu_s'] for c in small_rows['steady'])) / span * 1000:.2f} "
        "ms CPU per cycle")
    label = f"at {big} servers"
    result.target(f"worst steady cycle wall {label}", f"{worst_wall:.2f} s", "<= 5 s",
                  worst_wall <= 5)
    result.target(f"worst steady cycle CPU {label}", f"{worst_cpu:.2f} CPU-s", "<= 1 CPU-s",
                  worst_cpu <= 1)
    result.target(f"peak RSS {label}", f"{ours['peak_rss_mb']:.0f} MB", "<= 150 MB",
                  ours["peak_rss_mb"] <= 150)
    result.notes.append(f"cold first cycle {label} (Hub listing, {big} workers and event "
                        f"streams started, every server's first poll of all seven endpoints): "
                        f"{ours['cold']['wall_s']:.2f} s wall, "
                        f"{ours['cold']['cpu_s']:.2f} CPU-s")
    result.notes.append("heavy polls are staggered: each steady cycle reads status, kernels and "
                        "sessions of every server plus terminals and /metrics of about a "
                        "quarter of them; the peer's steady-cycle line fetches the same set")
    result.notes.append("the simulator serves from one Python process on the same 2 cores, so "
                        "wall times include its queueing; CPU seconds are the exporter's only")
    return result


def parser() -> argparse.ArgumentParser:
    p = base_parser(__doc__)
    p.add_argument("--measure", metavar="FLEET_JSON", help=argparse.SUPPRESS)
    p.add_argument("--peer", metavar="FLEET_JSON", help=argparse.SUPPRESS)
    return p


def main() -> int:
    p = parser()
    args, _ = p.parse_known_args()
    if args.measure:
        return _child("measure", args.measure)
    if args.peer:
        return _child("peer", args.peer)
    return run_main(__doc__, run, p)


if __name__ == "__main__":
    sys.exit(main())
