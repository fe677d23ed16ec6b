"""Generation: `jupyter-slo generate` for 1,000 SLOs, against PyYAML writing the same rules.

Input: 1,000 events SLOs (Sloth `prometheus/v1`, with alerting) in one spec file; also the
same 1,000 split over 20 team files (a directory input), since real repositories hold many
small files. Ours is the whole command, measured from outside as a user sees it (`python -m
slo generate`, interpreter start-up included; best of `--repeat` runs); `rules` alone, in
default and `--compat sloth` mode, is shown beside it. The peer is PyYAML, timed in this
process on the very rules ours wrote (read back with the C loader, untimed): the pure-Python
`SafeDumper` and libyaml's `CSafeDumper`. The issue's reference: pure-Python PyYAML needs
about 6.7 s to write 17,000 rules on this kind of machine, libyaml about 1.4 s.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from bench.common import Result, base_parser, python, run_main

TARGET_S = 2.0


def spec_text(service: str, first: int, count: int) -> str:
    lines = ['version: "prometheus/v1"', f'service: "{service}"', "labels:",
             '  owner: "bench"', "slos:"]
    for i in range(first, first + count):
        selector = f'slo="s{i:04d}"'
        lines += [f'  - name: "slo-{i:04d}"', f"    objective: {99.9 if i % 2 else 99.5}",
                  f'    description: "Benchmark SLO {i}."', "    sli:", "      events:",
                  f"        error_query: sum(rate(bench_requests_total{{{selector},"
                  'code=~"5.."}[{{.window}}]))',
                  f"        total_query: sum(rate(bench_requests_total{{{selector}}}"
                  "[{{.window}}]))",
                  "    alerting:", f"      name: BenchSLO{i:04d}BudgetBurn",
                  "      annotations:", '        summary: "Budget burn."']
    return "\n".join(lines) + "\n"


def timed(argv: list[str], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True, timeout=600)
        times.append(time.perf_counter() - started)
    return times


def count_rules(files: list[Path]) -> tuple[Any, int]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    docs = [yaml.load(f.read_text(), Loader=loader) for f in files]
    rules = sum(len(g["rules"]) for d in docs if d for g in d.get("groups", []))
    return docs, rules


def dump_seconds(docs: Any, dumper: Any) -> float:
    started = time.perf_counter()
    for doc in docs:
        yaml.dump(doc, Dumper=dumper, sort_keys=False, width=80, default_flow_style=False)
    return time.perf_counter() - started


def run(args: argparse.Namespace) -> Result:
    count = 50 if args.quick else args.slos
    repeat = 1 if args.quick else args.repeat
    result = Result("generation", f"Generation: jupyter-slo generate for {count} SLOs",
                    config={"slos": count, "repeat": repeat})
    with tempfile.TemporaryDirectory(prefix="bench-gen-") as tmp:
        work = Path(tmp)
        single = work / "slos.yaml"
        single.write_text(spec_text("bench", 0, count))
        split = work / "teams"
        split.mkdir()
        files = 20 if count >= 100 else 2
        for f in range(files):
            part = count // files
            (split / f"team{f:02d}.yaml").write_text(spec_text(f"team{f:02d}", f * part, part))
        cases: dict[str, list[float]] = {}
        cli = [python(), "-m", "slo"]
        cases["generate, 1 file"] = timed([*cli, "generate", "-i", str(single), "-o",
                                           str(work / "out")], repeat)
        cases[f"generate, {files} files"] = timed([*cli, "generate", "-i", str(split), "-o",
                                                   str(work / "out-split")], repeat)
        cases["rules (default), 1 file"] = timed(
            [*cli, "rules", "-i", str(single), "-o", str(work / "rules.yaml")], 1)
        cases["rules --compat sloth, 1 file"] = timed(
            [*cli, "rules", "--compat", "sloth", "-i", str(single), "-o",
             str(work / "rules-sloth.yaml")], 1)
        _, rules = count_rules(sorted((work / "out" / "prometheus" / "rules").glob("*.yaml")))
        slo_docs, slo_rules = count_rules([work / "rules.yaml"])
        pure = dump_seconds(slo_docs, yaml.SafeDumper)
        c_dumper = getattr(yaml, "CSafeDumper", None)
        libyaml = dump_seconds(slo_docs, c_dumper) if c_dumper else float("nan")
    for name, times in cases.items():
        result.table.append({"what": f"ours: {name}", "best s": round(min(times), 3),
                             "runs s": ", ".join(f"{t:.2f}" for t in times)})
    result.table.append({"what": f"peer: PyYAML SafeDumper (pure Python), {slo_rules} rules",
                         "best s": round(pure, 3), "runs s": f"{pure:.2f}"})
    result.table.append({"what": f"peer: PyYAML CSafeDumper (libyaml), {slo_rules} rules",
                         "best s": round(libyaml, 3), "runs s": f"{libyaml:.2f}"})
    best = min(cases["generate, 1 file"])
    result.config["rules written by generate"] = rules
    result.ratios["ours generate (everything) / pure-Python PyYAML dump of the rules"] = (
        best / pure)
    result.ratios["ours rules (default) / pure-Python PyYAML dump of the same rules"] = (
        min(cases["rules (default), 1 file"]) / pure)
    result.ratios["ours rules (default) / libyaml dump of the same rules"] = (
        min(cases["rules (default), 1 file"]) / libyaml)
    result.target(f"generate for {count} SLOs (1 file)", f"{best:.2f} s", f"< {TARGET_S:g} s",
                  best < TARGET_S)
    split_best = min(cases[f"generate, {files} files"])
    result.target(f"generate for {count} SLOs ({files} files)", f"{split_best:.2f} s",
                  f"< {TARGET_S:g} s", split_best < TARGET_S)
    result.notes.append("generate writes rule files, promtool test files, Grafana dashboards "
                        "and the Alertmanager config; the peer only dumps the rules")
    return result


def parser() -> argparse.ArgumentParser:
    p = base_parser(__doc__)
    p.add_argument("--slos", type=int, default=1000)
    p.add_argument("--repeat", type=int, default=2)
    return p


if __name__ == "__main__":
    sys.exit(run_main(__doc__, run, parser()))
