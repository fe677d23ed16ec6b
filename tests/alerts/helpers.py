"""Shared pieces of the alerting tests: the documented example config, amtool, file paths.

The example `alerting.yaml` is read from docs/alerting.md, so the documentation is tested:
if the example stops passing amtool, the docs are wrong.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from alerts.config import AlertingConfig, parse_config
from alerts.routing import render_alertmanager

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "alerting.md"


def example_text() -> str:
    match = re.search(r"```yaml\n(version: jupyter-slo/alerting/v1\n.*?)```", DOC.read_text(),
                      re.S)
    assert match, f"no alerting.yaml example in {DOC}"
    return match.group(1)


def parsed(text: str, name: str = "alerting.yaml") -> AlertingConfig:
    config, problems = parse_config(text, name)
    assert not problems, "\n".join(map(str, problems))
    return config


def amtool() -> str:
    path = shutil.which("amtool")
    assert path, "amtool not on PATH: install Debian's prometheus-alertmanager (.ci/run does)"
    return path


def write_am(tmp: Path, config: AlertingConfig) -> Path:
    path = tmp / "alertmanager.yaml"
    path.write_text(render_alertmanager(config, "v0.0.0-test"), encoding="utf-8")
    return path


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), capture_output=True, text=True, timeout=60, check=False)
