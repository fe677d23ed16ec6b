"""Sloth v0.16.0's core plugins, reproduced byte for byte for `--compat sloth`.

Every float goes through Go's formatting (`slo.gofmt`), including Sloth's artefacts such as
`vector(0.9990000000000001)` and a budget of `0.0009999999999999432` in alert thresholds; the
expression templates are Sloth's, whitespace included. Do not "fix" anything here: the default
mode (`slo.generate.default`) is where Sloth's faults are corrected.
"""

from __future__ import annotations

from dataclasses import replace

from slo import duration, naming
from slo.gofmt import format_f, format_g
from slo.model import SLO, Alert, EventsSLI, RawSLI
from slo.plugins import SLORequest
from slo.rules import Rule, SLORules
from slo.template import render
from slo.windows import AlertWindows, Window


def core_plugins() -> list:
    return [_Validate(), SLIRules(), MetadataRules(), AlertRules()]


class _Validate:
    """Validation already ran before generation; kept so the chain has Sloth's shape."""

    def process(self, request: SLORequest, rules: SLORules) -> SLORules:
        return rules


def _id_labels(slo: SLO) -> dict[str, str]:
    return naming.id_labels(slo.id, slo.service, slo.name)


def sli_expr(slo: SLO, window: str) -> str:
    if isinstance(slo.sli, EventsSLI):
        return (f"({render(slo.sli.error_query, window)})\n/\n"
                f"({render(slo.sli.total_query, window)})\n")
    assert isinstance(slo.sli, RawSLI)
    return f"({render(slo.sli.error_ratio_query, window)})"


class SLIRules:
    def process(self, request: SLORequest, rules: SLORules) -> SLORules:
        slo, windows = request.slo, request.windows
        ids = _id_labels(slo)
        out = []
        for window_ms in windows.sli_windows()[:-1]:
            window = duration.format_ms(window_ms)
            out.append(Rule(
                record=naming.sli_error_ratio(window_ms), expr=sli_expr(slo, window),
                labels={**ids, naming.LABEL_WINDOW: window, **slo.labels},
            ))
        period = duration.format_ms(windows.period_ms)
        base = naming.sli_error_ratio(windows.page_quick.short_ms)
        selector = naming.selector(ids)
        expr = (f"sum_over_time({base}{selector}[{period}])\n/ ignoring ({naming.LABEL_WINDOW})\n"
                f"count_over_time({base}{selector}[{period}])\n")
        out.append(Rule(record=naming.sli_error_ratio(windows.period_ms), expr=expr,
                        labels={**ids, naming.LABEL_WINDOW: period, **slo.labels}))
        return replace(rules, sli=tuple(out))


class MetadataRules:
    """Sloth's seven metadata rules; subclasses change only how numbers are written."""

    def objective_ratio(self, slo: SLO) -> str:
        return format_g(slo.objective_float / 100)

    def error_budget(self, slo: SLO) -> str:
        return f"1-{self.objective_ratio(slo)}"

    def days(self, period_ms: int) -> str:
        return format_g(duration.hours(period_ms) / 24)

    def objective_label(self, slo: SLO) -> str:
        return format_f(slo.objective_float)

    def process(self, request: SLORequest, rules: SLORules) -> SLORules:
        slo, windows = request.slo, request.windows
        ids = _id_labels(slo)
        labels = {**ids, **slo.labels}
        selector = naming.selector(ids)

        def burn(window_ms: int) -> str:
            return (f"{naming.sli_error_ratio(window_ms)}{selector}\n"
                    f"/ on({naming.LABEL_ID}, {naming.LABEL_SLO}, {naming.LABEL_SERVICE}) "
                    f"group_left\n{naming.ERROR_BUDGET}{selector}\n")

        info = {**labels, naming.LABEL_VERSION: request.version, naming.LABEL_MODE: request.mode,
                naming.LABEL_SPEC: request.spec, naming.LABEL_OBJECTIVE: self.objective_label(slo)}
        out = (
            Rule(record=naming.OBJECTIVE, expr=f"vector({self.objective_ratio(slo)})",
                 labels=labels),
            Rule(record=naming.ERROR_BUDGET, expr=f"vector({self.error_budget(slo)})",
                 labels=labels),
            Rule(record=naming.TIME_PERIOD_DAYS, expr=f"vector({self.days(windows.period_ms)})",
                 labels=labels),
            Rule(record=naming.CURRENT_BURN_RATE, expr=burn(windows.page_quick.short_ms),
                 labels=labels),
            Rule(record=naming.PERIOD_BURN_RATE, expr=burn(windows.period_ms), labels=labels),
            Rule(record=naming.PERIOD_BUDGET_REMAINING,
                 expr=f"1 - {naming.PERIOD_BURN_RATE}{selector}", labels=labels),
            Rule(record=naming.SLO_INFO, expr="vector(1)", labels=info),
        )
        return replace(rules, metadata=out)


def default_annotations(severity: str) -> dict[str, str]:
    who = "{{$labels.sloth_service}} {{$labels.sloth_slo}}"
    return {
        "title": f"({severity}) {who} SLO error budget burn rate is too fast.",
        "summary": f"{who} SLO error budget burn rate is over expected.",
    }


class AlertRules:
    """Page and ticket alerts, each an `or` of two window pairs (Sloth's shape)."""

    def error_budget(self, slo: SLO) -> str:
        return format_g((100 - slo.objective_float) / 100)

    def factor(self, window: Window, windows: AlertWindows) -> str:
        return format_g(window.factor(windows.period_ms))

    def labels(self, slo: SLO, severity: str, alert: Alert) -> dict[str, str]:
        return {naming.LABEL_SEVERITY: severity, **alert.labels}

    def guard(self, slo: SLO, window: Window, windows: AlertWindows) -> str:
        """Extra condition lines inside a window pair (none in Sloth)."""
        return ""

    def finish(self, slo: SLO, windows: AlertWindows, alerts: list[Rule]) -> tuple[Rule, ...]:
        """Last touch on the alert rules (Sloth adds nothing)."""
        return tuple(alerts)

    def process(self, request: SLORequest, rules: SLORules) -> SLORules:
        slo, windows = request.slo, request.windows
        budget = self.error_budget(slo)
        selector = naming.selector(_id_labels(slo))

        def pair(window: Window) -> str:
            threshold = f"({self.factor(window, windows)} * {budget})"
            return "    and\n".join(
                f"    max({naming.sli_error_ratio(w)}{selector} > {threshold}) "
                f"without ({naming.LABEL_WINDOW})\n" for w in (window.short_ms, window.long_ms)
            ) + self.guard(slo, window, windows)

        out = []
        tiers = ((naming.SEVERITY_PAGE, slo.alerting.page, windows.page_quick,
                  windows.page_slow),
                 (naming.SEVERITY_TICKET, slo.alerting.ticket, windows.ticket_quick,
                  windows.ticket_slow))
        for severity, alert, quick, slow in tiers:
            if alert.disable:
                continue
            expr = f"(\n{pair(quick)})\nor\n(\n{pair(slow)})\n"
            out.append(Rule(alert=slo.alerting.name, expr=expr,
                            labels=self.labels(slo, severity, alert),
                            annotations={**default_annotations(severity), **alert.annotations}))
        return replace(rules, alerts=self.finish(slo, windows, out))
