"""The generated dashboards: strict schema, golden files, stable UIDs, and the conventions
every panel keeps (description, unit, datasource, links, needs)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from dashboards import debug, naming
from dashboards.build import build_dashboards
from dashboards.common import Board
from dashboards.panels import ALL_NEEDS
from exporter import naming as x
from exporter.histogram import Histogram
from slo.model import SLO
from tests.dashboards.conftest import VERSION, panels, problems

GOLDEN = Path(__file__).with_name("golden")
EXPECTED_UIDS = {"jupyter-slo-overview", "jupyter-slo-detail", "jupyter-slo-executive",
                 "jupyter-slo-on-call", "jupyter-slo-debug"}


def test_every_dashboard_validates_against_the_strict_schema(
        dashboards: dict[str, dict[str, Any]], validator: jsonschema.Draft7Validator) -> None:
    assert len(dashboards) == len(naming.ALL)
    assert {name: problems(validator, d) for name, d in dashboards.items()} == \
        {name: [] for name in dashboards}


def test_a_broken_dashboard_does_fail_the_schema(
        dashboards: dict[str, dict[str, Any]], validator: jsonschema.Draft7Validator) -> None:
    broken = json.loads(json.dumps(dashboards[naming.file_name(naming.OVERVIEW)]))
    broken["panels"][0]["gridPos"]["h"] = "8"
    broken["style"] = "dark"
    assert len(problems(validator, broken)) == 2


def test_files_match_the_golden_copies(files: dict[str, str], update_golden: bool) -> None:
    if update_golden:
        GOLDEN.mkdir(exist_ok=True)
        for stale in GOLDEN.iterdir():
            stale.unlink()
        for name, text in files.items():
            (GOLDEN / name).write_text(text, encoding="utf-8")
    golden = {p.name: p.read_text(encoding="utf-8") for p in sorted(GOLDEN.iterdir())}
    assert sorted(golden) == sorted(files), "run pytest --update-golden and review the diff"
    for name, text in files.items():
        assert text == golden[name], f"{name} differs from its golden copy (--update-golden)"


def test_output_and_uids_are_the_same_across_runs(slos: list[SLO],
                                                  files: dict[str, str]) -> None:
    again = build_dashboards(list(reversed(slos)), version=VERSION)
    assert again == files
    uids = {json.loads(t)["uid"] for n, t in files.items() if n.endswith(".json")}
    assert uids == EXPECTED_UIDS


def test_json_text_is_sorted_indented_and_ends_with_a_newline(files: dict[str, str]) -> None:
    for name, text in files.items():
        if name.endswith(".json"):
            assert text.endswith("}\n") and text.startswith('{\n  "annotations"'), name
            assert text == json.dumps(json.loads(text), indent=2, sort_keys=True,
                                      ensure_ascii=False) + "\n"


def _nulls(value: Any, path: str = "") -> list[str]:
    if value is None:
        return [path]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _nulls(v, f"{path}/{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _nulls(v, f"{path}/{i}")]
    return []


def test_the_only_nulls_are_base_threshold_steps(dashboards: dict[str, dict[str, Any]]) -> None:
    base_step = re.compile(r".*/thresholds/steps/0/value$")
    for name, dashboard in dashboards.items():
        strays = [p for p in _nulls(dashboard) if not base_step.match(p)]
        assert strays == [], name


def test_every_panel_has_a_description_a_unit_and_the_datasource_variable(
        dashboards: dict[str, dict[str, Any]]) -> None:
    for name, dashboard in dashboards.items():
        assert dashboard["schemaVersion"] == 39
        for panel in panels(dashboard):
            where = f"{name}: {panel['title']}"
            assert len(panel.get("description", "")) > 40, where
            assert panel["fieldConfig"]["defaults"].get("unit"), where
            assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, where
            assert panel["targets"], where
            for target in panel["targets"]:
                assert target["datasource"] == panel["datasource"], where


def test_every_dashboard_has_variables_links_and_tags(
        dashboards: dict[str, dict[str, Any]]) -> None:
    expected_vars = {
        naming.OVERVIEW: {"datasource", "service"},
        naming.DETAIL: {"datasource", "service", "slo", "window"},
        naming.EXECUTIVE: {"datasource", "cpu_hour_price", "memory_gib_hour_price",
                           "gpu_hour_price"},
        naming.ON_CALL: {"datasource", "server", "kernel_name"},
        naming.DEBUG: {"datasource", "server", "kernel_name", "topk"},
    }
    for short, variables in expected_vars.items():
        dashboard = dashboards[naming.file_name(short)]
        assert {v["name"] for v in dashboard["templating"]["list"]} == variables, short
        assert naming.TAG in dashboard["tags"]
        assert dashboard["links"][0]["tags"] == [naming.TAG]
        assert dashboard["links"][0]["includeVars"] and dashboard["links"][0]["keepTime"]
        assert dashboard["title"].startswith("Jupyter SLO / ")
        assert VERSION in dashboard["description"]


def test_overview_rows_link_to_the_detail_dashboard_of_their_slo(
        dashboards: dict[str, dict[str, Any]]) -> None:
    overview = dashboards[naming.file_name(naming.OVERVIEW)]
    (table,) = [p for p in panels(overview) if p["type"] == "table"]
    links = [prop["value"] for o in table["fieldConfig"]["overrides"]
             for prop in o["properties"] if prop["id"] == "links"]
    assert [link["url"] for link in links[0]] == [
        "/d/jupyter-slo-detail/jupyter-slo-slo-detail?var-slo=${__value.raw}"
        "&${__url_time_range}"]
    assert naming.detail_path("jupyter-kernel crashes") == \
        "/d/jupyter-slo-detail/jupyter-slo-slo-detail?var-slo=jupyter-kernel%20crashes"


def test_every_panel_declares_known_needs(built_boards: tuple[Board, ...],
                                          dashboards: dict[str, dict[str, Any]]) -> None:
    declared = {need for b in built_boards for needs in b.needs.values() for need in needs}
    assert declared == ALL_NEEDS  # every kind of need is used somewhere, none invented
    for board in built_boards:
        titles = {p["title"] for p in panels(dashboards[naming.file_name(board.name)])}
        assert titles == set(board.needs), board.name


def test_the_large_notebook_bucket_is_one_the_exporter_writes(
        dashboards: dict[str, dict[str, Any]]) -> None:
    """The debug dashboard selects one `le` of the size histogram: it must be a bucket bound
    spelled as the exporter spells it (`le="10000000.0"`), or the panel reads nothing."""
    written = {le for le, _ in Histogram(x.NOTEBOOK_SIZE_BUCKETS).cumulative()}
    wanted = debug.le(debug.LARGE_NOTEBOOK_BYTES)
    assert wanted in written
    exprs = [t["expr"] for p in panels(dashboards[naming.file_name(naming.DEBUG)])
             for t in p["targets"]]
    assert any(f'le="{wanted}"' in e for e in exprs)


def test_the_provider_points_grafana_at_the_dashboards(files: dict[str, str]) -> None:
    text = files[naming.PROVIDER_FILE]
    assert text.startswith(f"# generated by jupyter-slo {VERSION}")
    provider = yaml.safe_load(text)
    assert provider["apiVersion"] == 1
    (entry,) = provider["providers"]
    assert entry["type"] == "file" and entry["folderUid"] == naming.FOLDER_UID
    assert entry["options"]["path"] == "/var/lib/grafana/dashboards/jupyter-slo"


@pytest.mark.parametrize(("name", "message"), [
    pytest.param("x" * 40, "longer than Grafana's 40", id="a UID over 40 characters is refused"),
])
def test_uid_limits(name: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        naming.uid(name)
