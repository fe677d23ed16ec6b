"""`jupyter-slo explain`: what each SLO's alerts mean, in numbers a person can check.

Pure arithmetic on the model and its alert windows, using exact decimals (the same numbers
default-mode rules print). For each tier: the burn factor, the error-ratio threshold (factor x
budget), the share of the period's budget spent before it fires (factor x long window /
period, the SRE Workbook's "budget consumed"), and how long a full outage (every request
failing) takes to fire it: the long window must reach the threshold, so threshold x long window.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from decimal import Decimal

from slo import duration
from slo.generate.default import decimal_text, error_budget, objective
from slo.model import SLO
from slo.windows import AlertWindows, Window

TIER_NAMES = ("page quick", "page slow", "ticket quick", "ticket slow")


@dataclass(frozen=True)
class TierExplanation:
    tier: str
    severity: str
    short_window: str
    long_window: str
    factor: Decimal
    error_ratio_threshold: Decimal
    budget_spent_percent: Decimal
    full_outage_fires_after: str
    can_fire: bool


@dataclass(frozen=True)
class Explanation:
    slo_id: str
    objective_percent: Decimal
    period: str
    error_budget_ratio: Decimal
    error_budget_time: str
    tiers: tuple[TierExplanation, ...]


def human_duration(seconds: Decimal) -> str:
    """A duration in Prometheus notation, to the second (sub-second values keep a decimal)."""
    if seconds < 1:
        return f"{decimal_text(seconds.quantize(Decimal('0.001')))}s"
    return duration.format_ms(int(seconds.to_integral_value()) * 1000)


def explain(slo: SLO, windows: AlertWindows) -> Explanation:
    budget = error_budget(slo)
    period_s = Decimal(windows.period_ms) / 1000
    tiers = []
    for name, window in zip(TIER_NAMES, windows.tiers(), strict=True):
        tiers.append(_tier(name, window, windows, budget))
    return Explanation(
        slo_id=slo.id, objective_percent=objective(slo), period=duration.format_ms(
            windows.period_ms), error_budget_ratio=budget,
        error_budget_time=human_duration(budget * period_s), tiers=tuple(tiers))


def _tier(name: str, window: Window, windows: AlertWindows, budget: Decimal) -> TierExplanation:
    factor = window.exact_factor(windows.period_ms)
    threshold = (factor * budget).normalize()
    spent = (factor * window.long_ms / windows.period_ms * 100).normalize()
    long_s = Decimal(window.long_ms) / 1000
    return TierExplanation(
        tier=name, severity=name.split()[0], short_window=duration.format_ms(window.short_ms),
        long_window=duration.format_ms(window.long_ms), factor=_round(factor),
        error_ratio_threshold=_round(threshold), budget_spent_percent=_round(spent),
        full_outage_fires_after=human_duration(threshold * long_s) if threshold < 1 else "never",
        can_fire=threshold < 1)


def _round(value: Decimal) -> Decimal:
    return value.quantize(Decimal("1e-10")).normalize() if value.as_tuple().exponent < -10 else (
        value.normalize())


def _percent(ratio: Decimal) -> str:
    return decimal_text(ratio * 100) + "%"


def render_text(explanations: list[Explanation], *, markdown: bool = False) -> str:
    out = []
    for e in explanations:
        title = (f"{e.slo_id}: objective {decimal_text(e.objective_percent)}% over {e.period}; "
                 f"error budget {_percent(e.error_budget_ratio)} = {e.error_budget_time}")
        header = ("tier", "windows (long/short)", "burn factor", "error ratio above",
                  "budget spent", "full outage fires after")
        rows = [(t.tier, f"{t.long_window}/{t.short_window}", decimal_text(t.factor) + "x",
                 _percent(t.error_ratio_threshold), decimal_text(t.budget_spent_percent) + "%",
                 t.full_outage_fires_after) for t in e.tiers]
        out.append(_markdown(title, header, rows) if markdown else _table(title, header, rows))
    return "\n".join(out)


def _table(title: str, header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(r[i]) for r in (header, *rows)) for i in range(len(header))]
    lines = [title] + ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
                       for r in (header, *rows)]
    return "\n".join(lines) + "\n"


def _markdown(title: str, header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    lines = [f"### {title}", "", "| " + " | ".join(header) + " |",
             "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def render_json(explanations: list[Explanation]) -> str:
    def plain(value: object) -> object:
        if isinstance(value, Decimal):
            return float(value)
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [plain(v) for v in value]
        return value

    return json.dumps([plain(asdict(e)) for e in explanations], indent=2) + "\n"
