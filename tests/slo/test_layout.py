"""Default mode's groups: one per SLO, and the slow part evaluated with its tiles.

The invariant that makes the slow group safe is checked on every default-mode golden file: no
rule reads a series that a group with a longer interval writes (an instant read of a series
written once per 5 minutes would see nothing for a moment after each write is due).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from slo import duration
from slo.generate.layout import default_layout, metric_names, reads
from slo.rules import Rule, RuleGroup
from tests.slo.promtool import rules_text
from tests.slo.test_default_mode import SLOTH_SPEC as SPEC

GOLDEN = Path(__file__).parent / "golden" / "default"


def interval_ms(group: dict) -> int:
    return duration.parse(group["interval"]) if group.get("interval") else 0


def late_reads(text: str) -> list[str]:
    """Rules that read a recording of a group with a longer interval than their own."""
    groups = yaml.safe_load(text)["groups"]
    written = {r["record"]: interval_ms(g) for g in groups for r in g["rules"] if "record" in r}
    found = []
    for group in groups:
        for rule in group["rules"]:
            names = metric_names(rule["expr"])
            found += [f"{group['name']}: {rule.get('record') or rule.get('alert')} reads {name}"
                      for name, every in written.items()
                      if every > interval_ms(group) and name in names]
    return found


@pytest.mark.parametrize("golden", sorted(p.name for p in GOLDEN.glob("*.yaml")))
def test_no_rule_reads_a_series_written_less_often_than_it_runs(golden):
    assert late_reads((GOLDEN / golden).read_text(encoding="utf-8")) == []


def test_the_check_finds_a_late_read():
    """The control for the test above: the ticket alert put back in the fast group reads its
    1d and 3d windows, written every 5 minutes, and the check says so."""
    text = rules_text(SPEC)
    groups = yaml.safe_load(text)["groups"]
    fast, slow = groups
    ticket = next(r for r in slow["rules"] if r.get("labels", {}).get("sloth_severity")
                  == "ticket")
    slow["rules"].remove(ticket)
    fast["rules"].append(ticket)
    assert len(late_reads(yaml.safe_dump({"groups": groups}))) == 2  # its 1d and 3d windows


def test_events_slo_has_one_fast_group_and_one_slow_group():
    groups = yaml.safe_load(rules_text(SPEC))["groups"]
    assert [(g["name"], g.get("interval")) for g in groups] == [
        ("sloth-slo-svc-requests", None), ("sloth-slo-sli-tiles-svc-requests", "5m")]
    fast, slow = ([r.get("record") or f"{r['alert']}/{r['labels']['sloth_severity']}"
                   for r in g["rules"]] for g in groups)
    assert fast == [
        "slo:sli_errors:rate5m", "slo:sli_total:rate5m", "slo:sli_error:ratio_rate5m",
        "slo:sli_error:ratio_rate30m", "slo:sli_error:ratio_rate1h",
        "slo:sli_error:ratio_rate2h", "slo:sli_error:ratio_rate6h",
        "slo:objective:ratio", "slo:error_budget:ratio", "slo:time_period:days",
        "slo:current_burn_rate:ratio", "sloth_slo_info", "RequestsBudgetBurn/page"]
    assert slow == [
        "slo:sli_errors:tile5m", "slo:sli_total:tile5m", "slo:sli_error:ratio_rate1d",
        "slo:sli_error:ratio_rate3d", "slo:sli_error:ratio_rate30d",
        "slo:period_burn_rate:ratio", "slo:period_error_budget_remaining:ratio",
        "RequestsBudgetBurn/ticket"]


def rule(name: str, expr: str) -> Rule:
    return Rule(record=name, expr=expr)


def alert(name: str, expr: str, severity: str = "") -> Rule:
    return Rule(alert=name, expr=expr, labels={"sloth_severity": severity} if severity else {})


TILE = rule("slo:sli_errors:tile5m", "slo:sli_errors:rate5m\n")
DAY = rule("slo:sli_error:ratio_rate1d", "sum_over_time(slo:sli_errors:tile5m[1d])\n")
HOUR = rule("slo:sli_error:ratio_rate1h", "sum_over_time(slo:sli_errors:rate5m[1h])\n")


@pytest.mark.parametrize(("alerts", "moved"), [
    pytest.param([alert("A", "slo:sli_error:ratio_rate1d > 1", "ticket")], True,
                 id="a ticket reading the day window moves with it"),
    pytest.param([alert("A", "slo:sli_error:ratio_rate1d > 1", "page")], False,
                 id="a page reading the day window keeps everything on the interval"),
    pytest.param([alert("A", "slo:sli_error:ratio_rate1d > 1")], False,
                 id="an alert without a severity counts as a page"),
    pytest.param([alert("A", "slo:sli_error:ratio_rate1h > 1", "page")], True,
                 id="a page reading only short windows does not stop the move"),
    pytest.param([alert("A", "slo:sli_error:ratio_rate1dx > 1", "page")], True,
                 id="a longer metric name is not a read"),
])
def test_what_moves_to_the_tiles_group(alerts, moved):
    parts = [RuleGroup("sli", (HOUR, DAY)), RuleGroup("meta", ()), RuleGroup("alerts",
                                                                              tuple(alerts))]
    tiles = RuleGroup("sloth-slo-sli-tiles-x", (TILE,), "5m")
    one, slow = default_layout("x", parts, [tiles])
    assert one.name == "sloth-slo-x"
    readers = [a for a in alerts if reads(a, DAY.record)]
    if moved:
        assert slow.rules == (TILE, DAY, *readers)
        assert one.rules == (HOUR, *(a for a in alerts if a not in readers))
    else:
        assert slow == tiles
        assert one.rules == (HOUR, DAY, *alerts)


def test_a_part_with_its_own_interval_keeps_its_own_group():
    parts = [RuleGroup("sli", (HOUR,)), RuleGroup("meta", (rule("m", "vector(1)"),), "2m"),
             RuleGroup("alerts", (alert("A", "x > 1", "page"),))]
    one, meta = default_layout("x", parts, [])
    assert (one.name, one.rules) == ("sloth-slo-x", (HOUR, parts[2].rules[0]))
    assert meta == parts[1]
