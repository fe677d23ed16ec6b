"""The pass from grafanalib's old dashboard model to Grafana's current one (dashboards.modern).

Each grafanalib quirk is a row: what grafanalib writes, and what must come out. Then the pass
on real grafanalib output: the raw JSON fails Grafana's strict schema, the modernised passes.
"""

from __future__ import annotations

import copy
import re
from typing import Any

import jsonschema
import pytest
from grafanalib import core as g

from dashboards.modern import PROMETHEUS, SCHEMA_VERSION, LegacyModelError, modernize
from dashboards.render import legacy_json
from tests.dashboards.conftest import problems


def _dash(**extra: Any) -> dict[str, Any]:
    return {"title": "t", "uid": "u", "schemaVersion": 12, "panels": [],
            "templating": {"list": []}, **extra}


def _panel(**extra: Any) -> dict[str, Any]:
    return {"type": "timeseries", "title": "p", "targets": [], **extra}


def _first_panel(legacy: dict[str, Any]) -> dict[str, Any]:
    return modernize(legacy)["panels"][0]


@pytest.mark.parametrize(("legacy", "pick", "expected"), [
    pytest.param(_dash(), lambda d: d["schemaVersion"], SCHEMA_VERSION,
                 id="schemaVersion 12 becomes the modern version"),
    pytest.param(_dash(__inputs=[], rows=[], hideControls=False, sharedCrosshair=False,
                       style="dark", gnetId=None, id=None),
                 lambda d: sorted(set(d) & {"__inputs", "rows", "hideControls",
                                            "sharedCrosshair", "style", "gnetId", "id"}), [],
                 id="legacy top-level keys are dropped"),
    pytest.param(_dash(description=None, panels=[_panel(description=None, interval=None)]),
                 lambda d: ("description" in d, sorted(set(d["panels"][0]) &
                                                       {"description", "interval"})),
                 (False, []), id="nulls are dropped rather than written"),
    pytest.param(_dash(panels=[_panel(type="stat", fieldConfig={"defaults": {
        "thresholds": {"mode": "absolute", "steps": ""}}, "overrides": []})]),
        lambda d: d["panels"][0]["fieldConfig"]["defaults"]["thresholds"]["steps"],
        [{"color": "green", "value": None}],
        id="a Stat's empty-string steps become one base step"),
    pytest.param(_dash(panels=[_panel(fieldConfig={"defaults": {"thresholds": {
        "mode": "absolute", "steps": [
            {"color": "red", "value": 80.0, "op": "gt", "yaxis": "left", "line": True,
             "index": 2},
            {"color": "green", "value": "null", "op": "gt", "yaxis": "left", "line": True,
             "index": 0},
            {"color": "orange", "value": 50.0, "op": "gt", "yaxis": "left", "line": True,
             "index": 1}]}}})]),
        lambda d: d["panels"][0]["fieldConfig"]["defaults"]["thresholds"]["steps"],
        [{"color": "green", "value": None}, {"color": "orange", "value": 50.0},
         {"color": "red", "value": 80.0}],
        id="the string 'null' is the base step, Graph-era keys go, steps are sorted"),
    pytest.param(_dash(panels=[_panel(datasource="${datasource}")]),
                 lambda d: d["panels"][0]["datasource"], PROMETHEUS,
                 id="the datasource variable as a string becomes a reference object"),
    pytest.param(_dash(panels=[_panel(datasource=None)]),
                 lambda d: d["panels"][0]["datasource"], PROMETHEUS,
                 id="a missing datasource becomes the datasource variable"),
    pytest.param(_dash(panels=[_panel(datasource="prom-eu")]),
                 lambda d: d["panels"][0]["datasource"], {"type": "prometheus",
                                                          "uid": "prom-eu"},
                 id="a datasource named as a string becomes a uid reference"),
    pytest.param(_dash(panels=[_panel(type="gauge", fieldConfig={"defaults": {}})]),
                 lambda d: d["panels"][0]["fieldConfig"]["overrides"], [],
                 id="fieldConfig without overrides gets an empty list"),
    pytest.param(_dash(panels=[_panel(type="heatmap", options=[], cards={}, color={},
                                      dataFormat="tsbuckets", heatmap={}, xAxis={},
                                      yAxis={}, legend={"show": False}, tooltip={})]),
                 lambda d: {k: v for k, v in d["panels"][0].items()
                            if k in ("options", "cards", "color", "xAxis", "legend")},
                 {"options": {}}, id="heatmap options [] become {} and pre-9 keys go"),
    pytest.param(_dash(panels=[_panel(type="table", color={"mode": "thresholds"},
                                      columns=[], fontSize="100%",
                                      mappings=[{"type": "value", "options": {}}],
                                      fieldConfig={"defaults": {}, "overrides": []})]),
                 lambda d: ({k for k in d["panels"][0] if k in ("color", "columns",
                                                               "fontSize", "mappings")},
                            d["panels"][0]["fieldConfig"]["defaults"]["color"],
                            d["panels"][0]["fieldConfig"]["defaults"]["mappings"]),
                 (set(), {"mode": "thresholds"}, [{"type": "value", "options": {}}]),
                 id="pre-8 table keys move into fieldConfig or go"),
    pytest.param(_dash(panels=[_panel(targets=[{
        "expr": "up", "query": "up", "target": "", "metric": "", "step": 10,
        "intervalFactor": 2, "interval": "", "hide": False, "refId": "A", "instant": True,
        "datasource": None, "legendFormat": ""}])]),
        lambda d: d["panels"][0]["targets"][0],
        {"expr": "up", "refId": "A", "instant": True, "range": False, "datasource": PROMETHEUS,
         "editorMode": "code"},
        id="targets lose Graphite-era keys and say instant or range"),
    pytest.param(_dash(templating={"list": [{
        "name": "server", "type": "query", "query": "label_values(up, server)",
        "datasource": "${datasource}", "current": {"selected": False, "text": None,
                                                   "value": None, "tags": []},
        "auto": False, "auto_min": "10s", "auto_count": 30, "useTags": False,
        "tagsQuery": None, "tagValuesQuery": None, "regex": None}]}),
        lambda d: d["templating"]["list"][0],
        {"name": "server", "type": "query", "query": "label_values(up, server)",
         "datasource": PROMETHEUS},
        id="variables lose interval and tag keys; an empty current is dropped"),
    pytest.param(_dash(templating={"list": [{
        "name": "datasource", "type": "datasource", "query": "prometheus", "datasource": None,
        "current": {"text": "Prom", "value": "prom", "tags": []}}]}),
        lambda d: d["templating"]["list"][0],
        {"name": "datasource", "type": "datasource", "query": "prometheus",
         "current": {"text": "Prom", "value": "prom"}},
        id="the datasource variable has no datasource and keeps a complete current"),
    pytest.param(_dash(panels=[{"type": "row", "title": "r", "id": 1, "panels": [],
                                "gridPos": {"h": 1, "w": 24, "x": 0, "y": 0},
                                "fieldConfig": {}, "targets": [], "editable": True,
                                "maxDataPoints": 100}]),
                 lambda d: d["panels"][0],
                 {"type": "row", "title": "r", "id": 1, "panels": [], "collapsed": False,
                  "gridPos": {"h": 1, "w": 24, "x": 0, "y": 0}},
                 id="a row keeps only what a row has, collapsed by default false"),
])
def test_each_quirk_is_fixed(legacy: dict[str, Any], pick: Any, expected: Any) -> None:
    assert pick(modernize(legacy)) == expected


@pytest.mark.parametrize(("legacy", "message"), [
    pytest.param(_dash(panels=[_panel(sparkline={})]), "unknown keys ['sparkline']",
                 id="a panel key the pass does not know fails loudly"),
    pytest.param(_dash(rows=[{"panels": []}]), "legacy `rows`",
                 id="legacy rows are refused rather than silently dropped"),
    pytest.param(_dash(nav=[]), "unknown keys ['nav']",
                 id="an unknown dashboard key fails"),
    pytest.param(_dash(panels=[_panel(fieldConfig={"defaults": {"thresholds": {
        "steps": [{"color": "red", "value": "80"}]}}})]), "is not a number",
        id="a threshold value written as a string is refused"),
    pytest.param(_dash(panels=[_panel(type="table", columns=[{"text": "x"}])]),
                 "pre-8 table", id="pre-8 table columns are refused"),
    pytest.param(_dash(templating={"list": [{"name": "x", "type": "query",
                                             "definition": "q"}]}),
                 "unknown keys ['definition']", id="an unknown variable key fails"),
])
def test_what_it_cannot_modernise_is_an_error(legacy: dict[str, Any], message: str) -> None:
    with pytest.raises(LegacyModelError, match=re.escape(message)):
        modernize(legacy)


def test_the_pass_does_not_change_its_input() -> None:
    legacy = _dash(description=None, panels=[_panel(datasource=None)])
    before = copy.deepcopy(legacy)
    modernize(legacy)
    assert legacy == before


def _grafanalib_dashboard() -> g.Dashboard:
    """Every panel kind the dashboards use, with grafanalib's defaults left in."""
    pos = g.GridPos(h=8, w=12, x=0, y=0)
    target = [g.Target(expr="up", refId="A", datasource="${datasource}")]
    return g.Dashboard(
        title="all kinds", uid="all-kinds",
        panels=[g.RowPanel(title="row", id=1, gridPos=g.GridPos(h=1, w=24, x=0, y=0)),
                g.TimeSeries(title="ts", id=2, targets=target, gridPos=pos,
                             thresholds=[g.Threshold("green", 0, 0.0),
                                         g.Threshold("red", 1, 80.0)]),
                g.Stat(title="stat", id=3, targets=target, gridPos=pos),
                g.Table(title="table", id=4, targets=target, gridPos=pos),
                g.Heatmap(title="heatmap", id=5, targets=target, gridPos=pos)],
        templating=g.Templating(list=[
            g.Template(name="datasource", type="datasource", query="prometheus"),
            g.Template(name="server", query="label_values(up, server)",
                       dataSource="${datasource}", includeAll=True, multi=True)]),
        links=[g.DashboardLink(title="more", tags=["x"])])


def test_raw_grafanalib_output_fails_the_strict_schema_and_the_pass_fixes_it(
        validator: jsonschema.Draft7Validator) -> None:
    legacy = legacy_json(_grafanalib_dashboard())
    raw = problems(validator, legacy)
    assert len(raw) >= 10, raw  # nulls, legacy keys, "" steps, "null" values, string datasource
    assert problems(validator, modernize(legacy)) == []
