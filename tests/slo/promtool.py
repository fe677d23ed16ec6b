"""Helpers for tests that run the real promtool on generated rules."""

from __future__ import annotations

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
