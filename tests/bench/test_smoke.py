"""Smoke tests: each benchmark runs end to end in its tiny `--quick` configuration.

They prove the scripts still work against the current exporter and rule generator, not how
fast anything is (speed is measured by `bench/run_all`, never asserted in tests). Each runs as
a child process under a time limit and must write its JSON result with figures, at least one
ratio against a peer, and its targets (met or not: a missed target is a figure, not a failure).
The scrape benchmark needs `wrk` and `prometheus-node-exporter` (Debian packages of those
names); without them it is skipped with that reason.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LIMITS = {"scrape": 120, "fleet_poll": 120, "rule_eval": 240, "generation": 180}


def run_quick(name: str, tmp_path: Path) -> dict:
    out = tmp_path / f"{name}.json"
    done = subprocess.run([sys.executable, "-m", f"bench.{name}", "--quick", "--json", str(out)],
                          cwd=REPO, capture_output=True, text=True, timeout=LIMITS[name])
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(out.read_text())


def check_result(result: dict) -> None:
    assert result["table"], "no figures"
    assert result["ratios"], "no ratio against a peer"
    assert all(value == value and value > 0 for value in result["ratios"].values()), \
        result["ratios"]
    assert result["targets"], "no target reported"


@pytest.mark.slow
@pytest.mark.timeout(150)
def test_scrape_quick(tmp_path: Path) -> None:
    missing = [b for b in ("wrk", "prometheus-node-exporter") if shutil.which(b) is None]
    if missing:
        pytest.skip(f"needs {', '.join(missing)}: apt-get install -y --no-install-recommends "
                    "wrk prometheus-node-exporter")
    result = run_quick("scrape", tmp_path)
    check_result(result)
    assert [row["errors"] for row in result["table"]] == ["none"] * 3


@pytest.mark.slow
@pytest.mark.timeout(150)
def test_fleet_poll_quick(tmp_path: Path) -> None:
    result = run_quick("fleet_poll", tmp_path)
    check_result(result)
    assert all(row["up"] == row["servers"] for row in result["table"]), result["table"]


@pytest.mark.slow
@pytest.mark.timeout(270)
def test_rule_eval_quick(tmp_path: Path) -> None:
    result = run_quick("rule_eval", tmp_path)
    check_result(result)
    assert {row["slo"] for row in result["table"]} == {"s00", "s01", "s02"}


@pytest.mark.slow
@pytest.mark.timeout(210)
def test_generation_quick(tmp_path: Path) -> None:
    check_result(run_quick("generation", tmp_path))


@pytest.mark.slow
@pytest.mark.timeout(210)
def test_run_all_writes_the_report(tmp_path: Path) -> None:
    out = tmp_path / "RESULTS.md"
    done = subprocess.run([str(REPO / "bench" / "run_all"), "--quick", "--only", "generation",
                           "--out", str(out)], cwd=REPO, capture_output=True, text=True,
                          timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    text = out.read_text()
    assert text.startswith("# Benchmark results")
    assert "Machine:" in text and "Targets met:" in text and "Ratios against the peer" in text
