"""Every panel query parses as PromQL (real promtool), once Grafana's variables are filled in;
and the detail dashboard's tier thresholds are the burn factors the alerts use."""

from __future__ import annotations

import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from dashboards import detail
from dashboards.build import boards
from slo import duration
from slo import naming as n
from slo.windows import load_catalogue
from tests.dashboards.conftest import EXAMPLE, VERSION, load_slos, queries, substitute

RECORD = "dashboard:query:value"


def _promtool() -> str:
    path = shutil.which("promtool")
    assert path, "promtool not on PATH: install Debian's prometheus package (.ci/run does)"
    return path


def _rule_file(dashboards: dict[str, dict[str, Any]]) -> dict[str, Any]:
    groups = []
    for name, dashboard in sorted(dashboards.items()):
        rules = [{"record": RECORD, "expr": substitute(target["expr"]),
                  "labels": {"panel": title, "ref": ref}}
                 for title, ref, target in queries(dashboard)]
        groups.append({"name": name, "rules": rules})
    return {"groups": groups}


@pytest.mark.real
@pytest.mark.timeout(60)
def test_every_panel_query_parses(dashboards: dict[str, dict[str, Any]],
                                  tmp_path: Path) -> None:
    rules = _rule_file(dashboards)
    count = sum(len(g["rules"]) for g in rules["groups"])
    assert count > 60
    path = tmp_path / "panels.yaml"
    path.write_text(yaml.safe_dump(rules, sort_keys=False), encoding="utf-8")
    done = subprocess.run([_promtool(), "check", "rules", str(path)], capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"SUCCESS: {count} rules found" in done.stdout


@pytest.mark.real
@pytest.mark.timeout(60)
def test_promtool_check_does_catch_a_broken_query(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "g", "rules": [
        {"record": RECORD, "expr": substitute("sum by (le) (rate(x[$__rate_interval])")}]}]}))
    done = subprocess.run([_promtool(), "check", "rules", str(path)], capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode != 0


@pytest.mark.parametrize(("expr", "expected"), [
    pytest.param('a{x=~"$server"}[$__rate_interval]', 'a{x=~".*"}[1m]',
                 id="plain variables are replaced"),
    pytest.param("ratio_rate${window}", "ratio_rate1h", id="braced variables are replaced"),
])
def test_substitution(expr: str, expected: str) -> None:
    assert substitute(expr) == expected


def test_substitution_refuses_an_unknown_variable() -> None:
    with pytest.raises(KeyError):
        substitute("$nonsense")


def _threshold_value(tier: Any, days: str) -> float:
    """Evaluate the threshold query's arithmetic left to right, as PromQL does."""
    expr = detail.threshold(tier, "{}").replace(f"{n.TIME_PERIOD_DAYS}{{}}", days)
    assert re.fullmatch(r"[\d. */]+", expr), expr
    return float(eval(expr))  # only digits and * / here, checked above


@pytest.mark.parametrize("period", [
    pytest.param("30d", id="30d: 14.4, 6, 3 and 1 as the SRE workbook says"),
    pytest.param("28d", id="28d: the same shares over a shorter period"),
])
def test_tier_thresholds_are_the_alerts_burn_factors(period: str) -> None:
    windows = load_catalogue()[duration.parse(period)]
    days = str(Decimal(windows.period_ms) / duration.MS_PER_UNIT["d"])
    for tier in windows.tiers():
        assert _threshold_value(tier, days) == pytest.approx(
            float(tier.exact_factor(windows.period_ms)), rel=1e-12)


def test_slos_with_different_tiers_get_a_filtered_row_each() -> None:
    catalogue = load_catalogue()
    custom = dict(catalogue)
    base = catalogue[duration.parse("30d")]
    short = duration.parse("1h")
    custom[short] = type(base)(short, *(type(t)(t.budget_percent, t.budget_percent_exact,
                                                 t.short_ms // 60, t.long_ms // 60)
                                         for t in base.tiers()), source="test")
    slos = load_slos(EXAMPLE.read_text(encoding="utf-8"))
    one = boards(slos, version=VERSION, catalogue=custom)[1]
    assert sum(title.startswith("Page, quick") for title in one.needs) == 1
    sets = detail.window_sets({"a": base, "b": custom[short]})
    assert [s.periods_ms for s in sets] == [(short,), (duration.parse("30d"),)]
    mixed = detail.build({"a": base, "b": custom[short]}, version=VERSION)
    titles = [t for t in mixed.needs if t.startswith("Page, quick")]
    assert titles == ["Page, quick: 5s and 1m windows (1h SLOs)",
                      "Page, quick: 5m and 1h windows (30d SLOs)"]
    exprs = [t.expr for p in mixed.dashboard.panels if p.title in titles for t in p.targets]
    assert all(f"{n.TIME_PERIOD_DAYS}" in e and "==" in e for e in exprs)
    assert any(e.endswith(f'{n.TIME_PERIOD_DAYS}{{sloth_id="$slo"}} == 30)') for e in exprs)
