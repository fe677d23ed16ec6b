"""`bench/run_all`: run every benchmark in turn and write bench/RESULTS.md.

Each benchmark runs as its own process (`python -m bench.<name> --json ...`) under a time
limit, so one that fails or hangs is reported and the others still run. The report carries
the machine, the date, each benchmark's figures, its ratios against the peer measured in the
same run, and every target as met or MISSED with its figure: a missed target is never left
out. While they run, the load average and any test runs of other people on the machine
(pytest processes not started here) are sampled, because the figures are only as quiet as the
machine was.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench.common import REPO, machine, markdown_table, python

BENCHMARKS = (("scrape", 180), ("fleet_poll", 300), ("rule_eval", 1200), ("generation", 600))


class LoadWatch:
    """Samples the 1-minute load average and foreign pytest processes every few seconds."""

    def __init__(self) -> None:
        self.loads: list[float] = []
        self.pytest_seen = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(5.0):
            self.loads.append(os.getloadavg()[0])
            for proc in Path("/proc").iterdir():
                if not proc.name.isdigit():
                    continue
                try:
                    cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ")
                except OSError:
                    continue
                if b"pytest" in cmdline and b"tests/bench" not in cmdline:
                    self.pytest_seen += 1
                    break

    def __enter__(self) -> LoadWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)


def run_one(name: str, limit: int, quick: bool, out: Path) -> dict[str, Any]:
    argv = [python(), "-m", f"bench.{name}", "--json", str(out)] + (["--quick"] if quick else [])
    started = time.monotonic()
    try:
        done = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=limit)
        failure = None if done.returncode == 0 else done.stderr[-3000:]
        print(done.stdout, flush=True)
    except subprocess.TimeoutExpired:
        failure = f"did not finish within {limit} s"
    if failure is None and out.exists():
        return dict(json.loads(out.read_text()))
    print(f"{name} FAILED:\n{failure}", file=sys.stderr, flush=True)
    return {"name": name, "title": name, "failure": failure,
            "seconds": time.monotonic() - started}


def section(result: dict[str, Any]) -> list[str]:
    lines = [f"## {result['title']}", ""]
    if result.get("failure"):
        return [*lines, "**FAILED**:", "", "```", str(result["failure"]).strip(), "```", ""]
    lines += [f"Configuration: `{json.dumps(result['config'])}`. "
              f"Took {result['seconds']:.0f} s.", "", markdown_table(result["table"]), ""]
    if result["ratios"]:
        lines += ["Ratios against the peer, measured in the same run:", ""]
        lines += [f"- {what}: **{value:.3g}**" for what, value in result["ratios"].items()]
        lines.append("")
    if result["targets"]:
        lines += ["| target | figure | wanted | |", "|---|---|---|---|"]
        lines += [f"| {t['what']} | {t['figure']} | {t['target']} | "
                  f"{'met' if t['met'] else '**MISSED**'} |" for t in result["targets"]]
        lines.append("")
    lines += [f"- {note}" for note in result["notes"]]
    return [*lines, ""]


def report(results: list[dict[str, Any]], info: dict[str, Any], watch: LoadWatch,
           quick: bool, total: float) -> str:
    loads = watch.loads or [info["load_avg_1m"]]
    targets = [(r["title"], t) for r in results for t in r.get("targets", [])]
    missed = [f"{title}: {t['what']} = {t['figure']} (wanted {t['target']})"
              for title, t in targets if not t["met"]]
    failed = [r["name"] for r in results if r.get("failure")]
    shared = (f"Other people's test runs (pytest) were seen in {watch.pytest_seen} of "
              f"{len(watch.loads)} samples: they shared the {info['cores']} cores with these "
              "benchmarks, so absolute times are noisy; the ratios against peers measured in "
              "the same run travel better." if watch.pytest_seen else
              "No other test run was seen on the machine during the benchmarks.")
    lines = [
        "# Benchmark results", "",
        "Written by `bench/run_all`" + (" --quick (tiny configuration: not the real figures)"
                                        if quick else "") + "; rerun it to reproduce.", "",
        f"- Date: {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC",
        f"- Machine: {info['cpu']}, {info['cores']} cores, {info['memory_gib']} GiB, "
        f"Linux {info['kernel']}, Python {info['python']}",
        f"- Load average (1 min) during the run: min {min(loads):.1f}, "
        f"max {max(loads):.1f}, mean {sum(loads) / len(loads):.1f}",
        f"- {shared}",
        f"- Total time: {total / 60:.1f} min", "",
        "## Summary", "",
        f"- Targets met: {len(targets) - len(missed)} of {len(targets)}.",
    ]
    lines += [f"- MISSED: {m}" for m in missed]
    lines += [f"- FAILED to run: {name}" for name in failed]
    lines.append("")
    for result in results:
        lines += section(result)
    return "\n".join(lines).rstrip() + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(prog="bench/run_all", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="tiny configurations")
    parser.add_argument("--out", default=str(REPO / "bench" / "RESULTS.md"))
    parser.add_argument("--only", action="append", choices=[n for n, _ in BENCHMARKS],
                        help="run only this benchmark (repeatable)")
    args = parser.parse_args()
    info = machine()
    results = []
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bench-all-") as tmp, LoadWatch() as watch:
        for name, limit in BENCHMARKS:
            if args.only and name not in args.only:
                continue
            results.append(run_one(name, limit, args.quick, Path(tmp) / f"{name}.json"))
    text = report(results, info, watch, args.quick, time.monotonic() - started)
    Path(args.out).write_text(text)
    print(f"wrote {args.out}")
    return 1 if any(r.get("failure") for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
