"""Malformed specs: every problem reported as FILE:LINE:COL: message, exactly.

Each file under specs/invalid has its faults at known places; the expected lines were checked
against the files by hand (line and column of the YAML node at fault). Warnings are part of the
expected output too: they are what users see.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from slo.cli import main

SPECS = Path(__file__).parent / "specs"

CASES = [
    pytest.param("bad-labels.yaml", [
      'bad-labels.yaml:4:3: labels.team: label value must not be empty',
      'bad-labels.yaml:5:3: labels: label name __name__ is not allowed',
      "bad-labels.yaml:6:3: labels: 'my-label' is not a valid Prometheus label name",
    ], id='empty label value, __name__ and a name Prometheus 2 rejects'),
    pytest.param("bad-promql.yaml", [
      'bad-promql.yaml:8:22: sli.events.error_query: invalid PromQL: 1:33: parse error: unclosed left parenthesis',
    ], id='a query that is not PromQL (position inside the query)'),
    pytest.param("bad-service.yaml", [
      "bad-service.yaml:2:10: service: 'svc one' must match ^[A-Za-z0-9][-A-Za-z0-9_.]*[A-Za-z0-9]$",
    ], id='service with a space'),
    pytest.param("bad-template.yaml", [
      'bad-template.yaml:8:22: sli.events.error_query: must contain the {{.window}} placeholder',
    ], id='a template action other than .window'),
    pytest.param("dup-name.yaml", [
      'dup-name.yaml:12:11: SLO ID "svc-requests" is repeated',
    ], id='two SLOs with one id in a document'),
    pytest.param("k8s-types.yaml", [
      'k8s-types.yaml:8:11: spec.labels.tier: expected a string, got a number',
      'k8s-types.yaml:11:18: spec.slos.0.objective: expected a number, got a string',
    ], id='Kubernetes spec with a number label and a string objective'),
    pytest.param("missing-plugin.yaml", [
      "missing-plugin.yaml:5:7: SLO plugin 'missing/plugin' is not loaded (add its directory with -p/--plugins-path)",
    ], id='an SLO plugin that is not loaded'),
    pytest.param("multidoc.yaml", [
      'multidoc.yaml:20:16: objective: must be above 0 and at most 100, got 0',
      'multidoc.yaml:1:1: SLO ID "svc-requests" is duplicated: also declared in multidoc.yaml',
    ], id='second document of a file, after comment lines'),
    pytest.param("no-alert-name.yaml", [
      'no-alert-name.yaml:11:7: alerting.name: required unless both alerts are disabled',
      'no-alert-name.yaml:11:29: alerting.page_alert.labels.severity: label value must not be empty',
    ], id='page alert enabled without a name'),
    pytest.param("no-slos.yaml", [
      'no-slos.yaml:3:7: at least one SLO is required',
      'no-slos.yaml:4:1: warning: x: unknown field, ignored',
    ], id='an empty slos list and an unknown key'),
    pytest.param("no-window.yaml", [
      'no-window.yaml:8:22: sli.events.error_query: must contain the {{.window}} placeholder',
    ], id='a query without the window placeholder'),
    pytest.param("objective-string.yaml", [
      'objective-string.yaml:5:16: slos.0.objective: expected a number, got a string',
    ], id='objective written as text'),
    pytest.param("openslo-14d.yaml", [
      'openslo-14d.yaml:9:24: spec.objectives[0].ratioMetrics.good.source: must be "prometheus" or "sloth", got \'datadog\'',
      'openslo-14d.yaml:8:7: the 2w SLO period time window is not supported (no alert windows for it)',
    ], id='OpenSLO with a foreign source and a period without windows'),
    pytest.param("openslo-no-target.yaml", [
      'openslo-no-target.yaml:13:13: spec.timeWindows[0].unit: only "Day" is supported, got \'Week\'',
      'openslo-no-target.yaml:8:7: spec.objectives[0].target: required',
    ], id='OpenSLO without target and with weeks'),
    pytest.param("same-queries.yaml", [
      'same-queries.yaml:8:9: sli.events: error_query and total_query must differ',
    ], id='identical error and total queries'),
    pytest.param("short-name.yaml", [
      "short-name.yaml:4:11: name: 'r' must match ^[A-Za-z0-9][-A-Za-z0-9_.]*[A-Za-z0-9]$",
    ], id='a one-character SLO name'),
    pytest.param("syntax.yaml", [
      "syntax.yaml:4:9: invalid YAML: did not find expected ',' or ']'",
    ], id='broken YAML'),
    pytest.param("two-slis.yaml", [
      'two-slis.yaml:7:7: sli: exactly one SLI type (events, raw or plugin) must be set, found several',
    ], id='events and raw SLI together'),
    pytest.param("unknown.yaml", [
      'unknown.yaml:1:1: invalid spec, could not load with any of the supported spec types (prometheus/v1, sloth.slok.dev/v1 PrometheusServiceLevel, openslo/v1alpha)',
    ], id='a document of no known format'),
    pytest.param("v2.yaml", [
      'v2.yaml:1:10: unsupported spec version "prometheus/v2" (supported: jupyter-slo/v1, prometheus/v1)',
    ], id='an unknown prometheus/v spec version'),
]


@pytest.mark.parametrize(("name", "expected"), CASES)
def test_invalid_spec_reports_each_problem_at_its_node(monkeypatch, capsys, name, expected):
    monkeypatch.chdir(SPECS / "invalid")
    code = main(["validate", "-i", name])
    err = capsys.readouterr().err
    assert code == 1
    assert err.splitlines() == expected
    assert "Traceback" not in err


def test_valid_spec_passes(monkeypatch, capsys):
    monkeypatch.chdir(SPECS)
    assert main(["validate", "-i", "good.yaml"]) == 0
    assert capsys.readouterr().err == "1 SLOs in 1 files: valid\n"
