"""Default-mode core plugins: Sloth's rule names and labels, with Sloth's faults corrected.

What differs from `--compat sloth` and why (README "Default mode" repeats this for users):
- Events SLIs record their error and total rates once, over the base window
  (`slo:sli_errors:rate5m`, `slo:sli_total:rate5m`), and every window's error ratio, the period
  included, is `sum_over_time(errors[w]) / sum_over_time(total[w])`: event-weighted (Sloth's
  period ratio is a time-weighted mean of 5m ratios, wrong for bursty traffic), and the raw
  counters are read once per evaluation instead of once per window (`rate(raw[3d])` is costly).
- Windows of a day and longer sum "tiles" instead (`slo:sli_errors:tile5m`): the same rates
  copied once per base window by a group with that interval, so consecutive samples cover
  consecutive windows. A 30d window then reads one sample per 5 minutes, not one per
  evaluation; it lags by at most one base window, which a day-long window does not notice.
  Those windows change only when a tile is written, so they are evaluated in the tiles group
  too, with the rules that read them (slo/generate/layout.py).
- Everything else of an SLO is one group, not Sloth's three: a group evaluation has a fixed
  cost, and the alerts then read recordings made at the same instant.
- A window without traffic has no ratio (`/ (total > 0)`) instead of NaN, and a query with no
  error series yet counts 0 errors (`or 0 * total`), so silence never poisons the period. The
  fallback runs the total query, not the total recorded just before it: the generated promtool
  tests feed recorded series directly, and a fallback on the recorded total would turn a fed
  total into recorded ratios that collide with the fed ones.
- Numbers are exact decimals from the spec: `vector(0.999)`, `(14.4 * 0.001)`.
Raw (ratio-only) SLIs cannot be event-weighted; every window evaluates the user's query.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import replace
from decimal import Context, Decimal
from typing import Any

from slo import duration, naming, render
from slo.generate import sloth
from slo.generate.chain import CorePlugins, Options, generate_group
from slo.loaders.discover import SpecFile
from slo.model import SLO, Alert, EventsSLI, LatencySLI, RawSLI, SLOGroup, SpecKind
from slo.plugins import SLORequest
from slo.rules import Rule, RuleGroup, SLORules
from slo.template import render as render_query
from slo.windows import AlertWindows, Window

_FACTOR_CONTEXT = Context(prec=12)


def core_plugins() -> list:
    return [SLIRules(), MetadataRules(), AlertRules()]


def decimal_text(value: Decimal) -> str:
    """An exact decimal without exponent or trailing zeros: `0.001`, `14.4`, `30`."""
    return format(value.normalize(), "f")


def objective(slo: SLO) -> Decimal:
    assert slo.objective is not None, "validation rejects SLOs without an objective"
    return slo.objective


def error_budget(slo: SLO) -> Decimal:
    return (100 - objective(slo)) / 100


def _labels(slo: SLO, window_ms: int | None = None) -> dict[str, str]:
    ids = naming.id_labels(slo.id, slo.service, slo.name)
    if window_ms is None:
        return {**ids, **slo.labels}
    return {**ids, naming.LABEL_WINDOW: duration.format_ms(window_ms), **slo.labels}


class SLIRules:
    def process(self, request: SLORequest, rules: SLORules) -> SLORules:
        slo, windows = request.slo, request.windows
        if isinstance(slo.sli, LatencySLI | EventsSLI):
            sli = slo.sli.as_events() if isinstance(slo.sli, LatencySLI) else slo.sli
            out = _events_rules(slo, sli, windows)
            rules = replace(rules, extra=(*rules.extra, _tiles_group(slo, windows)),
                            one_group=True)
            return _split_slow(slo, rules, out)
        else:
            assert isinstance(slo.sli, RawSLI)
            out = [Rule(record=naming.sli_error_ratio(w),
                        expr=f"({render_query(slo.sli.error_ratio_query, duration.format_ms(w))})",
                        labels=_labels(slo, w))
                   for w in windows.sli_windows()]
        return replace(rules, sli=tuple(out), one_group=True)


# Windows this long and longer change slowly: they are summed from tiles, and with
# `slow_interval` they are evaluated less often.
SLOW_WINDOW_MS = 86_400_000


def _split_slow(slo: SLO, rules: SLORules, out: list[Rule]) -> SLORules:
    """Move the day-and-longer windows to their own group when the SLO sets `slow_interval`.

    Alerts reading those windows then see them up to one slow interval late, which suits the
    ticket tiers that use them; the base recordings stay in the fast group.
    """
    if not slo.slow_interval:
        return replace(rules, sli=tuple(out))
    slow = {r.record for r in out if r.labels.get(naming.LABEL_WINDOW)
            and duration.parse(r.labels[naming.LABEL_WINDOW]) >= SLOW_WINDOW_MS}
    fast = tuple(r for r in out if r.record not in slow)
    group = RuleGroup(naming.sli_slow_group(slo.id), tuple(r for r in out if r.record in slow),
                      slo.slow_interval)
    return replace(rules, sli=fast, extra=(*rules.extra, group),
                   metadata_interval=slo.slow_interval)


def _events_rules(slo: SLO, sli: EventsSLI, windows: AlertWindows) -> list[Rule]:
    base = windows.page_quick.short_ms
    base_text = duration.format_ms(base)
    error = render_query(sli.error_query, base_text)
    total = render_query(sli.total_query, base_text)
    selector = naming.selector(naming.id_labels(slo.id, slo.service, slo.name))
    errors_rate = naming.sli_errors_rate(base) + selector
    total_rate = naming.sli_total_rate(base) + selector
    out = [
        Rule(record=naming.sli_errors_rate(base), expr=f"({error})\nor\n(0 * ({total}))\n",
             labels=_labels(slo, base)),
        Rule(record=naming.sli_total_rate(base), expr=f"({total})\n", labels=_labels(slo, base)),
    ]
    errors_tile = naming.sli_errors_tile(base) + selector
    total_tile = naming.sli_total_tile(base) + selector
    for window in windows.sli_windows():
        if window == base:
            expr = f"{errors_rate}\n/\n({total_rate} > 0)\n"
        else:
            text = duration.format_ms(window)
            errors, total = ((errors_tile, total_tile) if window >= SLOW_WINDOW_MS
                             else (errors_rate, total_rate))
            expr = (f"sum_over_time({errors}[{text}])\n/\n"
                    f"(sum_over_time({total}[{text}]) > 0)\n")
        out.append(Rule(record=naming.sli_error_ratio(window), expr=expr,
                        labels=_labels(slo, window)))
    return out


def _tiles_group(slo: SLO, windows: AlertWindows) -> RuleGroup:
    """The base rates copied once per base window, for the day-and-longer windows to sum.

    The copy reads the base recordings, not the raw counters: an instant value is the rate
    over the base window before it, so samples one base window apart tile time (up to the
    fixed offset between the two groups' evaluations). Only range selectors read the tiles;
    the rules that read what this group writes are moved into it (slo/generate/layout.py), so
    no instant read elsewhere depends on a series written only once per base window.
    """
    base = windows.page_quick.short_ms
    selector = naming.selector(naming.id_labels(slo.id, slo.service, slo.name))
    rules = tuple(Rule(record=tile(base), expr=f"{rate(base)}{selector}\n",
                       labels=_labels(slo, base))
                  for tile, rate in ((naming.sli_errors_tile, naming.sli_errors_rate),
                                     (naming.sli_total_tile, naming.sli_total_rate)))
    return RuleGroup(naming.sli_tiles_group(slo.id), rules, duration.format_ms(base))


class MetadataRules(sloth.MetadataRules):
    """Sloth's metadata rules with exact numbers: `vector(0.999)`, `vector(0.001)`."""

    def objective_ratio(self, slo: SLO) -> str:
        return decimal_text(objective(slo) / 100)

    def error_budget(self, slo: SLO) -> str:
        return decimal_text(error_budget(slo))

    def days(self, period_ms: int) -> str:
        return decimal_text(Decimal(period_ms) / duration.MS_PER_UNIT["d"])

    def objective_label(self, slo: SLO) -> str:
        return decimal_text(objective(slo))


class AlertRules(sloth.AlertRules):
    """Sloth's multi-window multi-burn-rate alerts, with exact thresholds: `(14.4 * 0.001)`."""

    def error_budget(self, slo: SLO) -> str:
        return decimal_text(error_budget(slo))

    def factor(self, window: Window, windows: AlertWindows) -> str:
        return decimal_text(_FACTOR_CONTEXT.plus(window.exact_factor(windows.period_ms)))

    def labels(self, slo: SLO, severity: str, alert: Alert) -> dict[str, str]:
        """The SLO's id labels on the rule too, so two SLOs' alerts are never duplicate rules.

        The firing alert has them anyway (they come from the expression); on the rule they
        make promtool's duplicate-rule lint pass and show which SLO a rule belongs to.
        """
        return {**naming.id_labels(slo.id, slo.service, slo.name),
                **super().labels(slo, severity, alert)}

    def guard(self, slo: SLO, window: Window, windows: AlertWindows) -> str:
        """`min_events`: the long window must hold at least that many events to fire.

        Events in a window are its average total rate times its length in seconds.
        """
        if not slo.alerting.min_events:
            return ""
        selector = naming.selector(naming.id_labels(slo.id, slo.service, slo.name))
        long = duration.format_ms(window.long_ms)
        return (f"    and on({naming.LABEL_ID}, {naming.LABEL_SERVICE}, {naming.LABEL_SLO})\n"
                f"    avg_over_time({naming.sli_total_rate(windows.page_quick.short_ms)}"
                f"{selector}[{long}]) * "
                f"{window.long_ms // 1000} >= {slo.alerting.min_events}\n")

    def finish(self, slo: SLO, windows: AlertWindows, alerts: list[Rule]) -> tuple[Rule, ...]:
        alerting = slo.alerting
        out = [replace(r, for_=alerting.for_, keep_firing_for=alerting.keep_firing_for)
               for r in alerts]
        if alerting.no_data and alerting.name:
            out.append(_no_data_alert(slo, windows))
        return tuple(out)


def no_data_for(slo: SLO, windows: AlertWindows) -> str:
    """How long an SLI may be missing before the no-data alert fires: the time a full outage
    takes to fire the fastest page (threshold x long window, plus the alerts' `for`), rounded
    up to whole minutes. Missing data for longer could hide an outage that would have paged."""
    quick = windows.page_quick
    threshold = quick.exact_factor(windows.period_ms) * error_budget(slo)
    seconds = min(threshold, Decimal(1)) * quick.long_ms / 1000
    if slo.alerting.for_:
        seconds += Decimal(duration.parse(slo.alerting.for_)) / 1000
    minutes = max(1, math.ceil(seconds / 60))
    return duration.format_ms(minutes * 60_000)


def _no_data_alert(slo: SLO, windows: AlertWindows) -> Rule:
    ids = naming.id_labels(slo.id, slo.service, slo.name)
    series = (naming.sli_error_ratio(windows.page_quick.short_ms) if isinstance(slo.sli, RawSLI)
              else naming.sli_total_rate(windows.page_quick.short_ms))
    return Rule(alert=f"{slo.alerting.name}NoData", expr=f"absent({series}"
                f"{naming.selector(ids)})\n", for_=no_data_for(slo, windows),
                labels={**ids, naming.LABEL_SEVERITY: naming.SEVERITY_PAGE,
                        **slo.alerting.page.labels},
                annotations=no_data_annotations())


def no_data_annotations() -> dict[str, str]:
    who = "{{$labels.sloth_service}} {{$labels.sloth_slo}}"
    return {"title": f"(no data) {who} SLI has no data.",
            "summary": f"{who} SLI query returns nothing: the SLO is blind."}


def render_file(spec: SpecFile, options: Options, output_format: str,
                core: Callable[[], CorePlugins] = core_plugins) -> str:
    """One rule file per spec file (Prometheus reads one YAML document per rule file)."""
    return render_spec(spec, options, output_format, core)[0]


def render_spec(spec: SpecFile, options: Options, output_format: str,
                core: Callable[[], CorePlugins] = core_plugins) -> tuple[str, list[RuleGroup]]:
    """`render_file`'s text and the rule groups written in it, generated once for both (the
    promtool tests of `generate` read the groups)."""
    head = naming.header(options.version) + f"# source: {spec.path}\n"
    if output_format == "prometheus-operator":
        docs: list[str] = []
        groups: list[RuleGroup] = []
        for group in spec.groups:
            rule_groups = generate_group(group, options, core)
            groups += rule_groups
            docs.append(_operator_doc(group, rule_groups))
        return head + "---\n".join(d for d in docs if d), groups
    groups = [rg for g in spec.groups for rg in generate_group(g, options, core)]
    return head + render.rule_file(groups), groups


_DNS_INVALID = re.compile(r"[^a-z0-9-]+")


def _operator_doc(group: SLOGroup, rule_groups: list[RuleGroup]) -> str:
    labels: dict[str, Any] = {"app.kubernetes.io/component": "SLO",
                              "app.kubernetes.io/managed-by": "jupyter-slo"}
    if group.kind is SpecKind.SLOTH_K8S and group.k8s is not None:
        return render.prometheus_rule(rule_groups, group.k8s.name, group.k8s.namespace,
                                      {**group.k8s.labels, **labels}, group.k8s.annotations)
    service = group.slos[0].service if group.slos else "slos"
    name = _DNS_INVALID.sub("-", f"{service}-slos".lower()).strip("-")
    return render.prometheus_rule(rule_groups, name, "", labels, {})
