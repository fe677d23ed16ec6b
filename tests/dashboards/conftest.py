"""Shared fixtures for the dashboard tests: the SLOs dashboards are built from, the schema.

The SLO set is the bundled example spec (two events SLIs) plus one raw-ratio SLI, so both SLI
kinds reach the detail dashboard and the real-Prometheus test. The strict schema comes from
../shared/grafana; when it is missing the tests fail, never skip.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from dashboards.build import boards, build_dashboards, dashboard_dicts
from dashboards.common import Board
from slo.loaders.discover import load_text
from slo.model import SLO
from slo.plugins import PluginRegistry
from tests.conftest import REPO, SHARED

VERSION = "v0.0.0-test"
EXAMPLE = REPO / "slo" / "examples" / "jupyter-sloth.yaml"
RAW_SLO = """
version: "prometheus/v1"
service: "jupyter-probes"
slos:
  - name: "kernel-start-probe"
    objective: 99.5
    description: "Synthetic kernel starts succeed."
    sli:
      raw:
        error_ratio_query: >-
          sum(rate(jupyter_kernel_startup_attempts_total{result!="success"}[{{.window}}]))
          / sum(rate(jupyter_kernel_startup_attempts_total[{{.window}}]))
    alerting:
      name: JupyterKernelStartProbeBudgetBurn
"""
SPEC_TEXT = EXAMPLE.read_text(encoding="utf-8") + "\n---\n" + RAW_SLO


def load_slos(text: str, name: str = "spec.yaml") -> list[SLO]:
    problems: list = []
    groups = load_text(text, name, PluginRegistry(), problems)
    assert not [p for p in problems if not p.warning], problems
    return [slo for group in groups for slo in group.slos]


@pytest.fixture(scope="session")
def slos() -> list[SLO]:
    return load_slos(SPEC_TEXT)


@pytest.fixture(scope="session")
def files(slos: list[SLO]) -> dict[str, str]:
    return build_dashboards(slos, version=VERSION)


@pytest.fixture(scope="session")
def dashboards(slos: list[SLO]) -> dict[str, dict[str, Any]]:
    return dashboard_dicts(slos, version=VERSION)


@pytest.fixture(scope="session")
def built_boards(slos: list[SLO]) -> tuple[Board, ...]:
    return boards(slos, version=VERSION)


@pytest.fixture(scope="session")
def schema_path() -> Path:
    path = SHARED / "grafana" / "dashboard.schema.json"
    assert path.is_file(), f"Grafana dashboard schema missing at {path}"
    return path


@pytest.fixture(scope="session")
def validator(schema_path: Path) -> jsonschema.Draft7Validator:
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def problems(validator: jsonschema.Draft7Validator, dashboard: Any) -> list[str]:
    return sorted(f"/{'/'.join(map(str, e.absolute_path))}: {e.message}"
                  for e in validator.iter_errors(dashboard))


def panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    """Every panel, rows' nested panels included, rows themselves excluded."""
    out = []
    for panel in dashboard.get("panels", []):
        if panel.get("type") == "row":
            out += panel.get("panels", [])
        else:
            out.append(panel)
    return out


# Plausible values for Grafana's variables, so panel queries can run outside Grafana.
VARIABLES = {
    "datasource": "prometheus", "service": ".*", "slo": "jupyter-kernel-crashes",
    "window": "1h", "server": ".*", "kernel_name": ".*", "topk": "10",
    "cpu_hour_price": "0.05", "memory_gib_hour_price": "0.01", "gpu_hour_price": "2.50",
    "__rate_interval": "1m", "__range": "5m", "__interval": "15s",
}
_VARIABLE = re.compile(r"\$\{(\w+)\}|\$(\w+)")


def substitute(expr: str, values: dict[str, str] | None = None) -> str:
    """Replace `$var` and `${var}` as Grafana would; an unknown variable is a KeyError."""
    known = {**VARIABLES, **(values or {})}
    return _VARIABLE.sub(lambda m: known[m.group(1) or m.group(2)], expr)


def queries(dashboard: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(panel title, refId, target) for every query of every panel."""
    return [(p["title"], t["refId"], t) for p in panels(dashboard) for t in p["targets"]]
