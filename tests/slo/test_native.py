"""The native `jupyter-slo/v1` format: strict loading, latency SLIs, presets, guards."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from slo.cli import main
from slo.presets import reference
from tests.slo.promtool import check_rules

REPO = Path(__file__).resolve().parents[2]
NATIVE = Path(__file__).parent / "specs" / "native"
BUNDLED = REPO / "slo" / "specs" / "jupyter.yaml"

ERRORS = [
    pytest.param("latency-off-bucket.yaml", [
        "latency-off-bucket.yaml:9:20: sli: threshold 20 is not a bucket boundary of "
        "jupyter_kernel_startup_seconds (boundaries: 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0)",
        "latency-off-bucket.yaml:15:52: sli: threshold 45 is not a bucket boundary of "
        "jupyterhub_server_spawn_duration_seconds (boundaries: 0.5, 1.0, 2.5, 5.0, 10.0, 15.0, "
        "30.0, 60.0, 120.0, 180.0, 300.0, 600.0)",
        'latency-off-bucket.yaml:21:76: sli.latency.le: jupyter_kernel_startup_seconds is written '
        'by prometheus_client, which writes le="30.0", not le="30"',
    ], id="latency thresholds must be bucket boundaries, written as the producer writes them"),
    pytest.param("strict.yaml", [
        'strict.yaml:3:9: period: not a valid duration string: "4weeks"',
        "strict.yaml:9:22: sli.preset: preset 'notebook-saves' takes no threshold",
        'strict.yaml:12:12: slos.0.alerting.for: not a valid duration string: "soon"',
        "strict.yaml:13:19: alerting.min_events: must not be negative",
        "strict.yaml:7:5: slos.0.objectve: unknown field",
        "strict.yaml:17:22: sli.preset: unknown preset 'kernel-happiness' (known: "
        "hub-spawn-latency, hub-spawn-success, kernel-crashes, kernel-startup, notebook-jobs, "
        "notebook-saves, server-availability)",
        "strict.yaml:21:7: sli: exactly one of events, raw, latency, preset is required, "
        "found events, raw",
    ], id="unknown keys, bad durations, bad presets and two SLI kinds are errors"),
]


@pytest.mark.parametrize(("name", "expected"), ERRORS)
def test_native_errors_point_at_their_nodes(monkeypatch, capsys, name, expected):
    monkeypatch.chdir(NATIVE)
    assert main(["validate", "-i", name]) == 1
    assert capsys.readouterr().err.splitlines() == expected


def test_lint_warns_about_tiers_that_cannot_work(monkeypatch, capsys):
    monkeypatch.chdir(NATIVE)
    assert main(["validate", "-i", "lint.yaml"]) == 0  # warnings do not fail validation
    assert capsys.readouterr().err.splitlines() == [
        # 90 %: 14.4 x 0.1 = 1.44, above any possible error ratio.
        "lint.yaml:5:16: warning: objective: the page quick tier can never fire: its threshold "
        "(1.44) is not below a 100 % error ratio",
        # 99.999 % over 30d: 0.00001 x 2592000 s = 25.92 s of budget; the page needs
        # 14.4 x 0.00001 x 3600 s = 0.52 s plus 60 s of detection delay.
        "lint.yaml:10:16: warning: objective: a full outage spends the whole error budget "
        "(25.9s) before the page can fire (after about 61s, counting 1m of scrape and "
        "evaluation delay)",
        "2 SLOs in 1 files: valid",
    ]


@pytest.mark.timeout(60)
def test_bundled_jupyter_specs_validate_and_pass_promtool_lint(tmp_path, capsys):
    assert main(["validate", "-i", str(BUNDLED)]) == 0
    out = tmp_path / "jupyter.yaml"
    assert main(["rules", "-i", str(BUNDLED), "-o", str(out)]) == 0
    result = subprocess.run(["promtool", "check", "rules", "--lint=all", "--lint-fatal",
                             str(out)], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert check_rules(out).returncode == 0


def test_guards_reach_the_rules(tmp_path):
    spec = tmp_path / "guards.yaml"
    spec.write_text("""\
version: jupyter-slo/v1
service: api
slos:
  - name: requests
    objective: 99.9
    period: 28d
    slow_interval: 2m
    sli:
      events:
        error_query: sum(rate(errors_total[{{.window}}]))
        total_query: sum(rate(requests_total[{{.window}}]))
    alerting:
      name: Burn
      for: 2m
      keep_firing_for: 10m
      min_events: 100
      no_data: true
""")
    out = tmp_path / "rules.yaml"
    assert main(["rules", "-i", str(spec), "-o", str(out)]) == 0
    text = out.read_text()
    assert text.count("    for: 2m\n") == 2 and text.count("keep_firing_for: 10m") == 2
    # 28d period from the spec, not the default 30d: 13.44 x 0.001 over 1h.
    assert "(13.44 * 0.001)" in text and "slo:sli_error:ratio_rate4w" in text
    assert "[1h]) * 3600 >= 100" in text and "[3d]) * 259200 >= 100" in text
    # No data: a full outage pages after 13.44 x 0.001 x 3600 s = 48.4 s, plus the 2m `for`,
    # so 168.4 s, rounded up to 3m.
    assert "alert: BurnNoData" in text and "    for: 3m\n" in text
    # slow_interval: 1d, 3d and 4w windows and the metadata move to 2m groups.
    groups = yaml.safe_load(text)["groups"]
    slow = next(g for g in groups if g["name"] == "sloth-slo-sli-slow-recordings-api-requests")
    assert slow["interval"] == "2m"
    assert [r["record"] for r in slow["rules"]] == [
        "slo:sli_error:ratio_rate1d", "slo:sli_error:ratio_rate3d", "slo:sli_error:ratio_rate4w"]
    meta = next(g for g in groups if g["name"] == "sloth-slo-meta-recordings-api-requests")
    assert meta["interval"] == "2m"
    assert check_rules(out).returncode == 0


def test_compat_mode_refuses_native_specs(capsys):
    assert main(["rules", "--compat", "sloth", "-i", str(BUNDLED)]) == 1
    assert "jupyter-slo/v1 specs have no Sloth equivalent" in capsys.readouterr().err


def test_preset_reference_doc_is_fresh():
    doc = REPO / "docs" / "presets.md"
    assert doc.read_text(encoding="utf-8") == reference(), (
        "docs/presets.md is stale: run `python -m slo.presets > docs/presets.md`")


def test_several_objectives_alert_on_the_strictest_and_report_all(tmp_path):
    spec = tmp_path / "multi.yaml"
    spec.write_text("""\
version: jupyter-slo/v1
service: jupyter
slos:
  - name: saves
    objectives: [99, 99.9]
    sli:
      preset: {name: notebook-saves}
    alerting: {name: Saves}
""")
    out = tmp_path / "rules.yaml"
    assert main(["rules", "-i", str(spec), "-o", str(out)]) == 0
    groups = {g["name"]: g["rules"] for g in yaml.safe_load(out.read_text())["groups"]}
    # sloth_slo tells the objectives' series apart; only the strictest (99.9) alerts.
    alerts = sorted((r["labels"]["sloth_slo"], r["labels"]["sloth_severity"])
                    for rules in groups.values() for r in rules if "alert" in r)
    assert alerts == [("saves", "page"), ("saves", "ticket")]
    assert {r["alert"] for rules in groups.values() for r in rules if "alert" in r} == {"Saves"}
    objectives = {r["labels"]["sloth_slo"]: r["expr"] for name, rules in groups.items()
                  for r in rules if r.get("record") == "slo:objective:ratio"}
    assert objectives == {"saves": "vector(0.999)", "saves-99": "vector(0.99)"}
    assert check_rules(out).returncode == 0
