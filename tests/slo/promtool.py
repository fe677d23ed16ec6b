"""Helpers for tests that run the real promtool on generated rules."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml

from slo import duration
from slo.generate.chain import Options
from slo.loaders.discover import SpecFile, load_text
from slo.pipeline import render_file
from slo.plugins import PluginRegistry
from slo.windows import load_catalogue


def promtool() -> str:
    path = shutil.which("promtool")
    assert path, "promtool not on PATH: install Debian's prometheus package (.ci/run does)"
    return path


def rules_text(spec: str, *, compat: bool = False, name: str = "spec.yaml") -> str:
    problems: list = []
    groups = load_text(spec, name, PluginRegistry(), problems)
    assert not [p for p in problems if not p.warning], problems
    options = Options(version="v0.0.0-test", catalogue=load_catalogue(),
                      default_period_ms=duration.parse("30d"))
    return render_file(SpecFile(Path(name), groups), options, compat=compat,
                       output_format="prometheus")


_TILES_INTERVAL = re.compile(r"^(- name: sloth-slo-sli-tiles-.*\n  interval: )\S+$", re.M)


def with_tile_interval(rules: str, interval: str) -> str:
    """`rules` with the tile groups evaluated every `interval` instead of every base window.

    A new group with a 5m interval first runs up to 5 minutes after Prometheus loads it, and
    the day-and-longer windows have no value until it has: longer than a test should wait.
    Tiles recorded more often than once per base window overlap, and every window's error and
    total sums grow alike, so the ratios do not change; only the cost does.
    """
    out, count = _TILES_INTERVAL.subn(lambda m: m.group(1) + interval, rules)
    assert count, "no tile group in these rules"
    return out


def run_tests(tmp: Path, rules: dict[str, str], tests: list[dict[str, Any]],
              evaluation_interval: str = "1m") -> subprocess.CompletedProcess[str]:
    for name, text in rules.items():
        (tmp / name).write_text(text, encoding="utf-8")
    test_file = tmp / "test.yaml"
    test_file.write_text(yaml.safe_dump({
        "rule_files": list(rules),
        "evaluation_interval": evaluation_interval,
        "tests": tests,
    }, sort_keys=False), encoding="utf-8")
    return subprocess.run([promtool(), "test", "rules", str(test_file)], capture_output=True,
                          text=True, timeout=240, check=False)


def check_rules(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([promtool(), "check", "rules", str(path)], capture_output=True,
                          text=True, timeout=60, check=False)
