"""Operational alert rules and runbook links: promtool 2.42 checks and unit tests."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from alerts import naming
from alerts.config import AlertingConfig, Links
from alerts.links import DASHBOARD_URL, RUNBOOK_URL
from alerts.operational import ALERTS, render_operational
from alerts.slorules import render_slo_rules
from slo import duration
from slo.generate.chain import Options
from slo.loaders.discover import SpecFile, load_file
from slo.plugins import PluginRegistry
from slo.windows import load_catalogue
from tests.alerts.helpers import REPO, example_text, parsed
from tests.slo.promtool import check_rules, run_tests

pytestmark = pytest.mark.real
SPECS = REPO / "slo" / "specs" / "jupyter.yaml"


def _alert_rules(text: str) -> list[dict[str, Any]]:
    return [r for g in yaml.safe_load(text)["groups"] for r in g["rules"] if "alert" in r]


def _bundled_slo_rules(links: Links) -> str:
    spec = SpecFile(SPECS, load_file(SPECS, PluginRegistry(), []).groups)
    options = Options(version="v0", catalogue=load_catalogue(),
                      default_period_ms=duration.parse("30d"))
    return render_slo_rules(spec, options, links)


@pytest.mark.timeout(60)
def test_operational_rules_pass_promtool(tmp_path: Path) -> None:
    path = tmp_path / "ops.yaml"
    path.write_text(render_operational(parsed(example_text()), "v0"))
    result = check_rules(path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(ALERTS)} rules found" in result.stdout


def test_every_alert_has_the_four_annotations_and_a_severity() -> None:
    for rule in _alert_rules(render_operational(AlertingConfig(), "v0")):
        assert set(rule["annotations"]) == {"summary", "description", RUNBOOK_URL,
                                            DASHBOARD_URL}, rule["alert"]
        assert rule["labels"][naming.LABEL_SEVERITY] in naming.SEVERITIES


@pytest.mark.parametrize("source", [
    pytest.param("operational", id="operational alerts link to existing runbooks"),
    pytest.param("slo", id="burn-rate alerts of the bundled specs link to existing runbooks"),
])
def test_runbook_links_resolve_to_files(source: str) -> None:
    """With the default (checkout-relative) base URL, each link is a path in this repo."""
    links = AlertingConfig().links
    text = (render_operational(AlertingConfig(), "v0") if source == "operational"
            else _bundled_slo_rules(links))
    rules = _alert_rules(text)
    assert rules
    for rule in rules:
        url = rule["annotations"][RUNBOOK_URL]
        assert url.startswith(links.runbook_base_url), url
        assert (REPO / url).is_file(), f"{rule['alert']}: {url} does not exist"


def test_burn_rate_alerts_get_the_runbook_of_their_sli() -> None:
    links = parsed(example_text()).links
    by_alert = {(r["alert"], r["labels"][naming.LABEL_SEVERITY]): r["annotations"]
                for r in _alert_rules(_bundled_slo_rules(links))}
    base = links.runbook_base_url
    assert by_alert["JupyterKernelCrashBudgetBurn", "page"][RUNBOOK_URL] == \
        base + "kernel-crash.md"
    assert by_alert["JupyterKernelReadinessBudgetBurn", "ticket"][RUNBOOK_URL] == \
        base + "slow-kernel-start.md"
    assert by_alert["JupyterSaveFailureBudgetBurn", "page"][RUNBOOK_URL] == \
        base + "save-failures.md"
    assert by_alert["JupyterServerAvailabilityBudgetBurn", "page"][RUNBOOK_URL] == \
        base + "target-down.md"
    assert by_alert["JupyterNotebookJobBudgetBurn", "page"][RUNBOOK_URL] == base + "slo-burn.md"
    assert by_alert["JupyterKernelReadinessBudgetBurnNoData", "page"][RUNBOOK_URL] == \
        base + "slo-no-data.md"
    assert by_alert["JupyterKernelCrashBudgetBurn", "page"][DASHBOARD_URL] == (
        "https://grafana.example.org/d/jupyter-slo-detail/jupyter-slo-slo-detail"
        "?var-slo=jupyter-kernel-crashes")


def test_every_runbook_is_used_and_has_the_sections() -> None:
    files = {p.stem for p in naming.RUNBOOK_DIR.glob("*.md")}
    assert files == set(naming.RUNBOOKS)
    for stem in naming.RUNBOOKS:
        text = (naming.RUNBOOK_DIR / naming.runbook_file(stem)).read_text()
        assert text.startswith("# "), stem
        assert "## Queries" in text and "```promql" in text, stem


def _alert(name: str, value: str, **labels: str) -> dict[str, Any]:
    """The expected firing alert; `value` is `$value` as the annotations print it."""
    severity = next(a.severity for a in ALERTS if a.name == name)
    return {"exp_labels": {naming.LABEL_SEVERITY: severity, **labels}, "value": value}


UNIT = [
    pytest.param(naming.TARGET_DOWN, [
        {"series": 'jupyter_up{server="alice",job="jupyter-slo"}', "values": "1x5 0x10"},
    ], [(4, []), (8, []),
        (12, [_alert(naming.TARGET_DOWN, "0", server="alice", job="jupyter-slo")])],
        id="a server down for 5 minutes pages, not earlier"),
    pytest.param(naming.EXPORTER_DOWN, [
        {"series": 'up{job="other"}', "values": "1x20"},
    ], [(3, []), (6, [_alert(naming.EXPORTER_DOWN, "1", job="jupyter-slo")])],
        id="an exporter never scraped pages once its job is absent for 5 minutes"),
    pytest.param(naming.KERNEL_CRASH_SPIKE, [
        {"series": 'jupyter_kernel_crashes_total{server="a",kernel_name="py",kind="restart"}',
         "values": "0 1 2 3 4 5 6 6 6 6"},
        {"series": 'jupyter_kernel_crashes_total{server="a",kernel_name="r",kind="restart"}',
         "values": "0 1 1 1 1 1 1 1 1 1"},
    ], [(3, []), (9, [_alert(naming.KERNEL_CRASH_SPIKE, "6", server="a", kernel_name="py")])],
        id="five crashes of one kernelspec open a ticket, one crash does not"),
    pytest.param(naming.GPU_OVERHEATING, [
        {"series": 'jupyter_gpu_temperature_celsius{instance="n1",gpu="0",uuid="GPU-1"}',
         "values": "70x3 90x10"},
        {"series": 'jupyter_gpu_temperature_celsius{instance="n1",gpu="1",uuid="GPU-2"}',
         "values": "80x13"},
    ], [(6, []),
        (10, [_alert(naming.GPU_OVERHEATING, "90", instance="n1", gpu="0", uuid="GPU-1")])],
        id="a GPU hot for 5 minutes opens a ticket, a warm one does not"),
]


@pytest.mark.timeout(120)
@pytest.mark.parametrize(("alertname", "series", "checks"), UNIT)
def test_promtool_unit(tmp_path: Path, alertname: str, series: list[dict[str, str]],
                       checks: list[tuple[int, list[dict[str, Any]]]]) -> None:
    config = AlertingConfig()
    text = render_operational(config, "v0")
    annotations = {r["alert"]: r["annotations"] for r in _alert_rules(text)}[alertname]
    for _, expected in checks:
        for alert in expected:
            # promtool compares expanded annotations: runbook and dashboard links included.
            alert["exp_annotations"] = _expanded(annotations, alert["exp_labels"],
                                                 alert.pop("value"))
    result = run_tests(tmp_path, {"ops.yaml": text}, [{
        "interval": "1m", "input_series": series,
        "alert_rule_test": [{"eval_time": f"{t}m", "alertname": alertname, "exp_alerts": exp}
                            for t, exp in checks],
    }])
    assert result.returncode == 0, result.stdout + result.stderr


def _expanded(annotations: dict[str, str], labels: dict[str, str],
              value: str) -> dict[str, str]:
    """Expand the templates our annotations use, the way Prometheus does (a missing label
    expands to nothing)."""
    out = {}
    for key, text in annotations.items():
        text = text.replace("{{ $value | humanize }}", value).replace("{{ $value }}", value)
        text = re.sub(r"\{\{ \$labels\.(\w+)(?: \| urlquery)? \}\}",
                      lambda m: labels.get(m.group(1), ""), text)
        out[key] = text
    assert all("{{" not in v for v in out.values()), out
    return out
