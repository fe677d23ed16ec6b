"""Fleet-scale cost of the exporter in Hub mode, against the fleet simulator.

For 10, 100 and 1,000 simulated servers with 20 kernels each (10% of servers churning every
5 s), runs the simulator and the exporter as two processes, lets the exporter reach steady
state, then measures over several 5-second poll cycles: the poll cycle's wall time (from
`jupyter_exporter_poll_cycle_seconds`), the exporter's CPU seconds per cycle and its RSS.
The simulator's CPU is reported apart (the peer measured in the same run), as is the memory
the event-stream subscriptions cost per server (a second run with `--no-collector.crashes`).
Aim (issue 5): at 1,000 x 20, at most 1 CPU-second and 150 MB per 5-second cycle.

Usage: python -m bench.fleet_bench [--sizes 10,100,1000] [--cycles 4]
Bounded: every wait has a deadline; both processes are stopped by PID.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]
INTERVAL = 5.0


def _metric(url: str, name: str) -> float | None:
    with urllib.request.urlopen(url, timeout=10) as resp:
        for line in resp.read().decode().splitlines():
            if line.startswith(name + " ") :
                return float(line.split()[1])
    return None


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run(servers: int, kernels: int, cycles: int, streams: bool, workdir: Path) -> dict:
    sim = subprocess.Popen([sys.executable, "-m", "bench.fleetsim", f"--servers={servers}",
                            f"--kernels={kernels}", "--seed=1", "--churn=0.1",
                            f"--churn-every={INTERVAL}"], cwd=REPO, stdout=subprocess.PIPE,
                           stdin=subprocess.DEVNULL)
    exp = None
    try:
        assert sim.stdout is not None
        info = json.loads(sim.stdout.readline())
        (workdir / "hub").write_text(info["hub_token"])
        (workdir / "proxy").write_text(info["proxy_token"])
        port = _free_port()
        args = [sys.executable, "-m", "exporter", f"--web.listen-address=127.0.0.1:{port}",
                f"--hub-url={info['hub_url']}", f"--hub-token-file={workdir / 'hub'}",
                f"--proxy-api-url={info['proxy_api_url']}",
                f"--proxy-token-file={workdir / 'proxy'}", f"--poll-interval={INTERVAL}s",
                "--probe-interval=0", "--log.level=warning"]
        if not streams:
            args.append("--no-collector.crashes")
        exp = subprocess.Popen(args, cwd=REPO, stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        url = f"http://127.0.0.1:{port}/metrics"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if _metric(url, "jupyter_exporter_targets") == info["servers"] \
                        and _metric(url, "jupyter_exporter_poll_cycle_seconds") is not None:
                    break
            except OSError:
                pass
            time.sleep(0.5)
        else:
            raise RuntimeError("exporter did not reach the whole fleet in 120 s")
        time.sleep(2 * INTERVAL)  # steady state: streams open, first heavy polls done
        pe, ps = psutil.Process(exp.pid), psutil.Process(sim.pid)
        cpu_e, cpu_s = sum(pe.cpu_times()[:2]), sum(ps.cpu_times()[:2])
        walls = []
        for _ in range(cycles):
            time.sleep(INTERVAL)
            walls.append(_metric(url, "jupyter_exporter_poll_cycle_seconds") or 0.0)
        return {"servers": info["servers"], "kernels": kernels, "streams": streams,
                "cycle_wall_s_max": max(walls), "cycle_wall_s_mean": sum(walls) / len(walls),
                "exporter_cpu_s_per_cycle": (sum(pe.cpu_times()[:2]) - cpu_e) / cycles,
                "exporter_rss_mb": pe.memory_info().rss / 2**20,
                "simulator_cpu_s_per_cycle": (sum(ps.cpu_times()[:2]) - cpu_s) / cycles}
    finally:
        for proc in (exp, sim):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(20)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(10)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.fleet_bench", description=__doc__)
    p.add_argument("--sizes", default="10,100,1000")
    p.add_argument("--kernels", type=int, default=20)
    p.add_argument("--cycles", type=int, default=4)
    args = p.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    if any(not 0 < s <= 5000 for s in sizes) or not 0 < args.cycles <= 20:
        print("sizes 1..5000, cycles 1..20", file=sys.stderr)
        return 2
    print(f"{'servers':>8} {'streams':>7} {'cycle wall s':>14} {'exp CPU s/cycle':>16} "
          f"{'exp RSS MB':>10} {'sim CPU s/cycle':>16} {'exp/sim CPU':>11}")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            for streams in ((True, False) if size == max(sizes) else (True,)):
                r = run(size, args.kernels, args.cycles, streams, Path(tmp))
                rows.append(r)
                ratio = r["exporter_cpu_s_per_cycle"] / max(r["simulator_cpu_s_per_cycle"],
                                                             1e-9)
                print(f"{r['servers']:>8} {'on' if streams else 'off':>7} "
                      f"{r['cycle_wall_s_mean']:>6.2f} (max {r['cycle_wall_s_max']:.2f}) "
                      f"{r['exporter_cpu_s_per_cycle']:>16.3f} {r['exporter_rss_mb']:>10.1f} "
                      f"{r['simulator_cpu_s_per_cycle']:>16.3f} {ratio:>11.2f}", flush=True)
    on = [r for r in rows if r["streams"] and r["servers"] == rows[-1]["servers"]]
    if on and not rows[-1]["streams"]:
        per = (on[0]["exporter_rss_mb"] - rows[-1]["exporter_rss_mb"]) * 1024 / rows[-1]["servers"]
        print(f"event-stream subscription memory: {per:.1f} KiB per server "
              f"({rows[-1]['servers']} servers)")
    print(f"(machine: {os.cpu_count()} CPUs; aim at 1,000 x 20: <= 1 CPU-s and 150 MB per "
          "5-s cycle)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
