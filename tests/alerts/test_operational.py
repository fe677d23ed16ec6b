"""Operational alert rules and runbook links: promtool 2.42 checks and unit tests."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from alerts import naming
from alerts.config import AlertingConfig, Links, NotebookJob
from alerts.links import DASHBOARD_URL, RUNBOOK_URL
from alerts.operational import ALERTS, render_operational
from alerts.slorules import render_slo_rules
from slo import duration
from slo.cli import main as jupyter_slo
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
    """The documented example, whose `jobs:` adds one stale-job rule per job."""
    config = parsed(example_text())
    assert [job.name for job in config.jobs] == ["nightly-report", "hourly-etl"]
    path = tmp_path / "ops.yaml"
    path.write_text(render_operational(config, "v0"))
    result = check_rules(path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(ALERTS) + len(config.jobs)} rules found" in result.stdout
    stale = [r for r in _alert_rules(path.read_text()) if r["alert"] == naming.JOB_STALE]
    assert [r["labels"] for r in stale] == [
        {"owner": "platform", naming.LABEL_SEVERITY: naming.TICKET, "notebook_job": job}
        for job in ("nightly-report", "hourly-etl")]
    assert "> 93600\n" in stale[0]["expr"] and "> 5400\n" in stale[1]["expr"]
    assert stale[0]["annotations"][RUNBOOK_URL] == \
        config.links.runbook_base_url + "notebook-job-stale.md"


@pytest.mark.timeout(120)
def test_generate_writes_the_stale_job_rules_of_alerting_yaml(tmp_path: Path) -> None:
    """`jupyter-slo generate` picks `jobs:` up from the alerting.yaml next to the specs."""
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / "jupyter.yaml").write_text(SPECS.read_text())
    (specs / naming.CONFIG_NAME).write_text(
        f"version: {naming.CONFIG_VERSION}\njobs:\n  - {{name: nightly-report, max_age: 26h}}\n")
    out = tmp_path / "out"
    assert jupyter_slo(["generate", "-i", str(specs), "-o", str(out)]) == 0
    rules = _alert_rules((out / naming.OPERATIONAL_FILE).read_text())
    assert [r["labels"].get("notebook_job") for r in rules if r["alert"] == naming.JOB_STALE] \
        == ["nightly-report"]


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


SEVERITY = {a.name: a.severity for a in ALERTS} | {naming.JOB_STALE: naming.TICKET}
# The stale-job rules of the unit tests: one job that keeps succeeding, one that stopped.
UNIT_CONFIG = AlertingConfig(jobs=(NotebookJob("fresh", "1h"), NotebookJob("stale", "1h")))
XID = 'jupyter_gpu_xid_errors_total{instance="n1",gpu="0",uuid="GPU-1",xid="79"}'
LAST_SUCCESS = "jupyter_notebook_job_last_success_timestamp_seconds"
RUNS = "jupyter_notebook_job_runs_total"


def _alert(name: str, value: str, **labels: str) -> dict[str, Any]:
    """The expected firing alert; `value` is `$value` as the annotations print it."""
    return {"exp_labels": {naming.LABEL_SEVERITY: SEVERITY[name], **labels}, "value": value}


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
    pytest.param(naming.GPU_ERRORS, [
        # absent until the first XID 79 at 5m, a second one at 26m
        {"series": XID, "values": "_x5 1x20 2x10"},
        {"series": 'jupyter_gpu_xid_errors_total{instance="n1",gpu="1",uuid="GPU-2",xid="13"}',
         "values": "_x5 1x30"},
    ], [(3, []),
        (7, [_alert(naming.GPU_ERRORS, "1", instance="n1", gpu="0", uuid="GPU-1"),
             _alert(naming.GPU_ERRORS, "1", instance="n1", gpu="1", uuid="GPU-2")]),
        (20, []),
        (28, [_alert(naming.GPU_ERRORS, "1", instance="n1", gpu="0", uuid="GPU-1")])],
        id="a first XID, whose series starts at 1, opens a ticket; so does a later one"),
    pytest.param(naming.PROBE_KERNELS_PILING_UP, [
        {"series": 'jupyter_probe_kernels{server="a"}', "values": "0 1 0 3x40"},
        {"series": 'jupyter_probe_kernels{server="b"}', "values": "0 1 0 1 2 1 0x40"},
    ], [(10, []), (20, [_alert(naming.PROBE_KERNELS_PILING_UP, "3", server="a")])],
        id="three probe kernels left for 15 minutes open a ticket, a probe in flight does not"),
    pytest.param(naming.JOB_STALE, [
        # a success every minute: the last one is always recent
        {"series": f'{LAST_SUCCESS}{{notebook_job="fresh"}}', "values": "0+60x90"},
        {"series": f'{RUNS}{{notebook_job="fresh",result="success"}}', "values": "1+1x90"},
        # one success at 0, failures ever since
        {"series": f'{LAST_SUCCESS}{{notebook_job="stale"}}', "values": "0x90"},
        {"series": f'{RUNS}{{notebook_job="stale",result="success"}}', "values": "1x90"},
        {"series": f'{RUNS}{{notebook_job="stale",result="failure"}}', "values": "0+1x90"},
    ], [(30, []), (62, []), (70, [_alert(naming.JOB_STALE, "", notebook_job="stale")])],
        id="a job without a success for over its max_age opens a ticket, a fresh one does not"),
]


@pytest.mark.timeout(120)
@pytest.mark.parametrize(("alertname", "series", "checks"), UNIT)
def test_promtool_unit(tmp_path: Path, alertname: str, series: list[dict[str, str]],
                       checks: list[tuple[int, list[dict[str, Any]]]]) -> None:
    text = render_operational(UNIT_CONFIG, "v0")
    rules = _alert_rules(text)
    for _, expected in checks:
        for alert in expected:
            # The rule whose own labels the alert carries (one stale-job rule per job).
            (rule,) = [r for r in rules if r["alert"] == alertname
                       and r["labels"].items() <= alert["exp_labels"].items()]
            # promtool compares expanded annotations: runbook and dashboard links included.
            alert["exp_annotations"] = _expanded(rule["annotations"], alert["exp_labels"],
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
