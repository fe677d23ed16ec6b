"""SLO overview: every SLO in one table, worst error budget first.

One dashboard serves any number of SLOs: every query selects the SLO recording rules by their
labels (`sloth_service`, `sloth_slo`, `sloth_id`), so an SLO added to the specs appears here
after the next rule reload without regenerating the dashboard.
"""

from __future__ import annotations

from typing import Any

from dashboards import metrics, naming
from dashboards.common import Board, board, query_variable
from dashboards.panels import TABLE, Query, Step, stat, table, timeseries
from dashboards.promql import equals, matches, selector, slo_by
from slo import naming as n

BURN_UNIT = "suffix:x"
SEVERITY_MAPPINGS = [{"type": "value", "options": {
    "0": {"text": "none", "color": "green", "index": 0},
    "1": {"text": "ticket", "color": "orange", "index": 1},
    "2": {"text": "page", "color": "red", "index": 2}}}]
BUDGET_STEPS = (Step("red"), Step("orange", 0), Step("green", 0.25))


def firing_severity(*matchers: str) -> str:
    """2 while a page fires, 1 while only a ticket fires (summed by SLO by the caller)."""
    firing = equals(metrics.ALERT_STATE, "firing")
    page = selector(firing, equals(n.LABEL_SEVERITY, n.SEVERITY_PAGE), *matchers)
    ticket = selector(firing, equals(n.LABEL_SEVERITY, n.SEVERITY_TICKET), *matchers)
    return f"(2 * {metrics.ALERTS}{page}) or {metrics.ALERTS}{ticket}"


def sli_over_period(sel: str) -> str:
    """The period's SLI: 1 - period burn rate x error budget (generic over period lengths)."""
    return (f"1 - ({n.PERIOD_BURN_RATE}{sel} * on({n.LABEL_ID}) group_left\n"
            f"{n.ERROR_BUDGET}{sel})")


def _override(name: str, **properties: Any) -> dict[str, Any]:
    return {"matcher": {"id": "byName", "options": name},
            "properties": [{"id": key.replace("__", "."), "value": value}
                           for key, value in properties.items()]}


def build(*, version: str) -> Board:
    sel = selector(matches(n.LABEL_SERVICE, naming.VAR_SERVICE))
    service = matches(n.LABEL_SERVICE, naming.VAR_SERVICE)
    keep = slo_by()
    slo_alerts = selector(equals(metrics.ALERT_STATE, "firing"), service,
                          f'{n.LABEL_SEVERITY}=~"{n.SEVERITY_PAGE}|{n.SEVERITY_TICKET}"')
    detail = (f"{naming.path(naming.DETAIL)}?var-{naming.VAR_SLO}=${{__value.raw}}"
              "&${__url_time_range}")
    columns = {"Value #A": "Objective", "Value #B": "SLI over the period",
               "Value #C": "Budget remaining", "Value #D": "Burn rate now",
               "Value #E": "Alert firing", "Value #F": "Period",
               n.LABEL_SERVICE: "Service", n.LABEL_SLO: "SLO", n.LABEL_ID: "SLO id"}
    order = [n.LABEL_SERVICE, n.LABEL_SLO, "Value #A", "Value #B", "Value #C", "Value #D",
             "Value #E", "Value #F", n.LABEL_ID]
    cells = [
        stat("SLOs", "How many SLOs the recording rules define (filtered by service). "
             "Fewer than you expect means a rule file failed to load: check Prometheus' "
             "rule status page.", "short", [Query(f"count({n.OBJECTIVE}{sel})")]),
        stat("SLOs burning faster than allowed",
             "SLOs whose current burn rate is above 1: at this pace they spend more than their "
             "whole error budget in one period. Open them in the table below.", "short",
             [Query(f"count({n.CURRENT_BURN_RATE}{sel} > 1) or vector(0)")],
             thresholds=(Step("green"), Step("orange", 1))),
        stat("Firing SLO alerts", "Burn-rate alerts firing now (pages and tickets). A page "
             "means the budget goes within hours or days at this rate: follow the runbook.",
             "short", [Query(f"count({metrics.ALERTS}{slo_alerts}) or vector(0)")],
             thresholds=(Step("green"), Step("red", 1))),
        stat("Worst error budget remaining", "The smallest share of error budget left over "
             "the SLO period among all SLOs. Below zero the SLO is broken for this period; "
             "freeze risky changes to that service.", "percentunit",
             [Query(f"min({n.PERIOD_BUDGET_REMAINING}{sel})")], thresholds=BUDGET_STEPS,
             decimals=1),
        table("SLOs, worst error budget first",
              "One row per SLO: objective, SLI and error budget remaining over the SLO period, "
              "burn rate now (1 = spending exactly the budget over the period), the most "
              "severe burn-rate alert firing, and the period. Click an SLO id for its detail "
              "dashboard.", "short",
              [Query(f"max {keep} ({n.OBJECTIVE}{sel})", instant=True, format=TABLE),
               Query(f"max {keep} ({sli_over_period(sel)})", instant=True, format=TABLE),
               Query(f"max {keep} ({n.PERIOD_BUDGET_REMAINING}{sel})", instant=True,
                     format=TABLE),
               Query(f"max {keep} ({n.CURRENT_BURN_RATE}{sel})", instant=True, format=TABLE),
               Query(f"max {keep} ({firing_severity(service)} or (0 * {n.OBJECTIVE}{sel}))",
                     instant=True, format=TABLE),
               Query(f"max {keep} ({n.TIME_PERIOD_DAYS}{sel})", instant=True, format=TABLE)],
              height=10,
              transformations=[
                  {"id": "merge", "options": {}},
                  {"id": "organize", "options": {
                      "excludeByName": {"Time": True},
                      "indexByName": {name: i for i, name in enumerate(order)},
                      "renameByName": columns}}],
              overrides=[
                  _override("Objective", unit="percentunit", decimals=3),
                  _override("SLI over the period", unit="percentunit", decimals=3),
                  _override("Budget remaining", unit="percentunit", decimals=1,
                            custom__cellOptions={"type": "color-background"},
                            thresholds={"mode": "absolute", "steps": [
                                {"color": "red", "value": None},
                                {"color": "orange", "value": 0},
                                {"color": "green", "value": 0.25}]}),
                  _override("Burn rate now", unit=BURN_UNIT, decimals=2),
                  _override("Alert firing", mappings=SEVERITY_MAPPINGS,
                            custom__cellOptions={"type": "color-text"}),
                  _override("Period", unit="d"),
                  _override("SLO id", links=[{"title": "Open the SLO detail dashboard",
                                              "url": detail}])],
              sort_by=[("Budget remaining", False)]),
        timeseries("Error budget remaining, every SLO",
                   "Share of each SLO's error budget left over its period. A line heading for "
                   "zero before the period ends needs attention before it pages.",
                   "percentunit",
                   [Query(f"{n.PERIOD_BUDGET_REMAINING}{sel}",
                          f"{{{{{n.LABEL_SERVICE}}}}} / {{{{{n.LABEL_SLO}}}}}")],
                   thresholds=(Step("red"), Step("green", 0)), threshold_style="line"),
        timeseries("Burn rate now, every SLO",
                   "How fast each SLO spends its budget over the shortest alert window: 1 "
                   "spends exactly the budget in one period. Spikes that last are what the "
                   "burn-rate alerts catch.", BURN_UNIT,
                   [Query(f"{n.CURRENT_BURN_RATE}{sel}",
                          f"{{{{{n.LABEL_SERVICE}}}}} / {{{{{n.LABEL_SLO}}}}}")],
                   thresholds=(Step("green"), Step("orange", 1)), threshold_style="line", min=0),
    ]
    variables = [query_variable(naming.VAR_SERVICE, "Service",
                                f"label_values({n.OBJECTIVE}, {n.LABEL_SERVICE})")]
    return board(naming.OVERVIEW, "Every SLO at a glance, worst error budget first.",
                 ["slo"], variables, cells, version=version, time_from="now-7d")
