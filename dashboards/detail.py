"""SLO detail: one SLO, chosen by the `slo` variable (its `sloth_id`).

Burn-rate panels are drawn per alert tier with the windows the alerts really use. Windows are
baked into recording-rule names (`slo:sli_error:ratio_rate1h`), so they come from the alert
window catalogue at build time; the thresholds do not: a tier's threshold is
`period x budget share / long window`, and the period comes from `slo:time_period:days`, so one
panel is right for 28d and 30d SLOs alike. SLOs whose tiers differ (a custom catalogue) get a
row of tier panels per distinct set, each filtered to the periods that use it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from dashboards import naming
from dashboards.common import Board, board, custom_variable, query_variable
from dashboards.overview import (
    BUDGET_STEPS,
    BURN_UNIT,
    SEVERITY_MAPPINGS,
    firing_severity,
    sli_over_period,
)
from dashboards.panels import (
    NEED_EVENTS_SLI,
    TABLE,
    Cell,
    Query,
    Row,
    Step,
    stat,
    table,
    timeseries,
)
from dashboards.promql import equals, matches, on_id, selector
from slo import duration
from slo import naming as n
from slo.generate.default import decimal_text
from slo.windows import AlertWindows, Window

TIERS = ("Page, quick", "Page, slow", "Ticket, quick", "Ticket, slow")
MS_PER_DAY = duration.MS_PER_UNIT["d"]


@dataclass(frozen=True)
class WindowSet:
    """Alert tiers shared by one or more SLO periods."""

    tiers: tuple[Window, Window, Window, Window]
    periods_ms: tuple[int, ...]

    @property
    def sli_windows(self) -> list[int]:
        return sorted({w for t in self.tiers for w in (t.short_ms, t.long_ms)})


def window_sets(windows: Mapping[str, AlertWindows]) -> list[WindowSet]:
    """Group the SLOs' catalogues by their tiers (shares and windows), periods sorted."""
    groups: dict[tuple, tuple[tuple[Window, Window, Window, Window], set[int]]] = {}
    for aw in windows.values():
        key = tuple((t.budget_percent_exact, t.short_ms, t.long_ms) for t in aw.tiers())
        groups.setdefault(key, (aw.tiers(), set()))[1].add(aw.period_ms)
    return [WindowSet(tiers, tuple(sorted(periods)))
            for _, (tiers, periods) in sorted(groups.items())]


def _days(period_ms: int) -> str:
    return decimal_text(Decimal(period_ms) / MS_PER_DAY)


def _periods_text(ws: WindowSet) -> str:
    return "/".join(duration.format_ms(p) for p in ws.periods_ms)


def burn_rate(window_ms: int, sel: str) -> str:
    return (f"{n.sli_error_ratio(window_ms)}{sel}\n/ {on_id()} group_left\n"
            f"{n.ERROR_BUDGET}{sel}")


def threshold(tier: Window, sel: str) -> str:
    """The tier's burn factor from the SLO's own period: days x 86400 x share / 100 / long."""
    long_s = decimal_text(Decimal(tier.long_ms) / 1000)
    return (f"{n.TIME_PERIOD_DAYS}{sel} * 86400 * {decimal_text(tier.budget_percent_exact)}"
            f" / 100 / {long_s}")


def _filter(ws: WindowSet, sel: str, several: bool) -> str:
    if not several:
        return ""
    periods = " or ".join(f"{n.TIME_PERIOD_DAYS}{sel} == {_days(p)}" for p in ws.periods_ms)
    return f"\nand {on_id()} ({periods})"


def _tier_cells(ws: WindowSet, sel: str, several: bool) -> list[Cell | Row]:
    suffix = f" ({_periods_text(ws)} SLOs)" if several else ""
    keep = _filter(ws, sel, several)
    out: list[Cell | Row] = [Row(f"Burn rate by alert tier{suffix}")]
    for name, tier in zip(TIERS, ws.tiers, strict=True):
        short, long = duration.format_ms(tier.short_ms), duration.format_ms(tier.long_ms)
        severity = "pages" if name.startswith("Page") else "opens a ticket"
        out.append(timeseries(
            f"{name}: {short} and {long} windows{suffix}",
            f"Burn rate over this tier's two windows and the tier's threshold "
            f"({tier.budget_percent_exact} % of the period's budget within {long}). The alert "
            f"{severity} while both lines are above the threshold: the long window proves "
            f"the burn is real, the short one that it is still going on.", BURN_UNIT,
            [Query(f"({burn_rate(tier.short_ms, sel)}){keep}", f"{short} window"),
             Query(f"({burn_rate(tier.long_ms, sel)}){keep}", f"{long} window"),
             Query(f"({threshold(tier, sel)}){keep}", "threshold")],
            width=6, min=0,
            overrides=[{"matcher": {"id": "byName", "options": "threshold"},
                        "properties": [{"id": "custom.lineStyle",
                                        "value": {"dash": [10, 10], "fill": "dash"}},
                                       {"id": "color",
                                        "value": {"fixedColor": "red", "mode": "fixed"}}]}]))
    return out


def build(windows: Mapping[str, AlertWindows], *, version: str) -> Board:
    sets = window_sets(windows)
    several = len(sets) > 1
    sel = selector(equals(n.LABEL_ID, f"${naming.VAR_SLO}"))
    firing = firing_severity(equals(n.LABEL_ID, f"${naming.VAR_SLO}"))
    bases = sorted({ws.tiers[0].short_ms for ws in sets})
    all_windows = sorted({w for ws in sets for w in (*ws.sli_windows, *ws.periods_ms)})
    default_window = duration.format_ms(sets[0].tiers[0].long_ms)
    slo_ids = sorted(i for i in windows if i)
    ratio = f"{n.SLI_ERROR_RATIO_PREFIX}${{{naming.VAR_WINDOW}}}"
    cells: list[Cell | Row] = [
        Row("Where the SLO stands"),
        stat("Objective", "The share of good events the SLO promises over its period.",
             "percentunit", [Query(f"{n.OBJECTIVE}{sel}")], width=4, decimals=3),
        stat("SLI over the period", "The share of good events so far over the SLO period "
             "(event-weighted in default mode). Below the objective means the SLO is broken "
             "for this period.", "percentunit", [Query(sli_over_period(sel))], width=4,
             decimals=3),
        stat("Error budget remaining", "Share of the period's error budget left. Below zero "
             "the SLO is broken: stop risky changes to this service until it recovers.",
             "percentunit", [Query(f"{n.PERIOD_BUDGET_REMAINING}{sel}")], width=4, decimals=1,
             thresholds=BUDGET_STEPS, graph=True),
        stat("Burn rate now", "How fast the budget is being spent over the shortest alert "
             "window: 1 spends exactly the budget over the period, 14.4 (30d) empties it in "
             "two days.", BURN_UNIT, [Query(f"{n.CURRENT_BURN_RATE}{sel}")], width=4,
             decimals=2, thresholds=(Step("green"), Step("orange", 1)), graph=True),
        stat("Budget gone in", "Time until the remaining error budget is spent if the current "
             "burn rate holds. Empty while nothing burns. Hours here is what a page means.",
             "s", [Query(_time_left(sel))], width=4, no_value="not burning",
             thresholds=(Step("red"), Step("orange", 86400), Step("green", 7 * 86400))),
        stat("Alert firing", "The most severe burn-rate alert firing for this SLO now.",
             "short", [Query(f"max({firing}) or vector(0)")], width=4,
             mappings=SEVERITY_MAPPINGS, color_mode="background"),
        Row("SLI and error budget"),
        timeseries("SLI against objective", "The SLI over the chosen window (variable "
                   "`window`) against the objective. Dips below the line spend budget; "
                   "short windows show incidents, long ones the trend.", "percentunit",
                   [Query(f"1 - {ratio}{sel}", f"SLI over ${naming.VAR_WINDOW}"),
                    Query(f"{n.OBJECTIVE}{sel}", "objective")]),
        timeseries("Error budget remaining over the period", "Share of the error budget left "
                   "over the SLO's rolling period. A steady slope down to zero at the period's "
                   "end is the budget spent as planned; cliffs are incidents.", "percentunit",
                   [Query(f"{n.PERIOD_BUDGET_REMAINING}{sel}", "budget remaining")],
                   thresholds=(Step("red"), Step("green", 0)), threshold_style="line"),
    ]
    for ws in sets:
        cells += _tier_cells(ws, sel, several)
    cells += [
        Row("Raw rates"),
        timeseries("Time until the budget is gone", "The same estimate as the stat above, "
                   "over time: remaining budget x period / current burn rate.", "s",
                   [Query(_time_left(sel), "budget gone in")]),
        timeseries("Error and total rates", "The SLI's own event rates, per second, over the "
                   "base window (events SLIs in default mode; raw-ratio SLIs and Sloth "
                   "compatibility mode record none). Errors rising with flat totals is a "
                   "fault; both rising together is load.", "cps",
                   [q for base in bases for q in (
                       Query(f"{n.sli_errors_rate(base)}{sel}",
                             f"errors ({duration.format_ms(base)})"),
                       Query(f"{n.sli_total_rate(base)}{sel}",
                             f"total ({duration.format_ms(base)})"))],
                   needs={NEED_EVENTS_SLI}),
        table("SLO info", "What the rules say about this SLO: objective, spec format, "
              "generator mode and version. A version older than the release you run means "
              "the rules were not regenerated.", "string",
              [Query(f"{n.SLO_INFO}{sel}", instant=True, format=TABLE)], height=5,
              transformations=[{"id": "organize", "options": {"excludeByName": {
                  "Time": True, "Value": True, "__name__": True}}}]),
    ]
    variables = [
        query_variable(naming.VAR_SERVICE, "Service",
                       f"label_values({n.OBJECTIVE}, {n.LABEL_SERVICE})"),
        query_variable(naming.VAR_SLO, "SLO",
                       f"label_values({n.OBJECTIVE}"
                       f"{selector(matches(n.LABEL_SERVICE, naming.VAR_SERVICE))}, "
                       f"{n.LABEL_ID})",
                       multi=False, include_all=False,
                       default=slo_ids[0] if slo_ids else None),
        custom_variable(naming.VAR_WINDOW, "SLI window",
                        [duration.format_ms(w) for w in all_windows], default_window),
    ]
    return board(naming.DETAIL, "One SLO: SLI, error budget, burn rate per alert tier.",
                 ["slo"], variables, cells, version=version, time_from="now-2d")


def _time_left(sel: str) -> str:
    """Remaining budget x period / burn rate. The three series differ in `sloth_window`
    (the budget and burn recordings keep the window they were computed over), so they are
    matched on the SLO id alone."""
    return (f"clamp_min({n.PERIOD_BUDGET_REMAINING}{sel}, 0)\n"
            f"* {on_id()} group_left() {n.TIME_PERIOD_DAYS}{sel} * 86400\n"
            f"/ {on_id()} group_left() ({n.CURRENT_BURN_RATE}{sel} > 0)")
