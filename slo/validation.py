"""Checks on loaded SLOs: Sloth's rules first, then our own where Sloth lets harm through.

Sloth's rules (its `validate/v1` plugin): names and ids match `^[A-Za-z0-9][-A-Za-z0-9_.]*
[A-Za-z0-9]$`; 0 < objective <= 100; label names are not `__name__` and values are not empty;
exactly one SLI type; queries hold `{{.window}}` and parse as PromQL with a 1m window; enabled
alerts have a name; plugin chains are well formed; ids are unique. Our own additions: label
names must be valid for Prometheus 2.x (it rejects rule files otherwise), an objective of 100
is flagged (its budget is zero and burn rates are infinite), and the SLO period must be in the
window catalogue. Each problem points at the YAML node at fault.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal

from slo import duration
from slo.model import SLO, EventsSLI, LatencySLI, PluginChain, RawSLI, SLOGroup
from slo.plugins import PluginRegistry
from slo.presets import KNOWN_BUCKETS
from slo.problems import Problem
from slo.promql import parse_errors
from slo.template import TemplateError, has_window, render
from slo.windows import AlertWindows
from slo.yamlsource import Location

NAME_RE = re.compile(r"^[A-Za-z0-9][-A-Za-z0-9_.]*[A-Za-z0-9]$")
PROMETHEUS_LABEL_RE = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
_CORE_PLUGINS = frozenset({
    "sloth.dev/core/validate/v1", "sloth.dev/core/sli_rules/v1",
    "sloth.dev/core/metadata_rules/v1", "sloth.dev/core/alert_rules/v1",
    "sloth.dev/core/noop/v1", "sloth.dev/core/debug/v1",
})


@dataclass(frozen=True)
class QueryCheck:
    """A query to parse as PromQL; checked in one batch per run (promtool costs per call)."""

    field: str
    expr: str
    location: Location


def check_promql(checks: list[QueryCheck]) -> list[Problem]:
    errors = parse_errors([c.expr for c in checks])
    return [Problem(c.location, f"{c.field}: invalid PromQL: {error}")
            for c, error in zip(checks, errors, strict=True) if error]


def validate_group(group: SLOGroup, catalogue: dict[int, AlertWindows], default_period_ms: int,
                   plugins: PluginRegistry, queries: list[QueryCheck]) -> list[Problem]:
    """Problems in one document; queries to parse as PromQL are appended to `queries`."""
    problems: list[Problem] = []
    if not group.slos:
        return problems  # the loader already said "at least one SLO is required"
    problems += _check_chain(group.plugins, group.location, plugins)
    seen: dict[str, SLO] = {}
    for slo in group.slos:
        where = slo.loc() or group.location
        if slo.id in seen:
            problems.append(Problem(slo.loc("name") or where, f'SLO ID "{slo.id}" is repeated'))
        seen[slo.id] = slo
        problems += validate_slo(slo, catalogue, default_period_ms, plugins, where, queries)
    return problems


def validate_slo(slo: SLO, catalogue: dict[int, AlertWindows], default_period_ms: int,
                 plugins: PluginRegistry, where: Location,
                 queries: list[QueryCheck]) -> list[Problem]:
    def at(*path: str) -> Location:
        return slo.loc(*path) or where

    problems = [
        *_check_name("service", slo.service, at("service")),
        *_check_name("name", slo.name, at("name")),
    ]
    if NAME_RE.match(slo.service) and NAME_RE.match(slo.name) and not NAME_RE.match(slo.id):
        problems.append(Problem(at("name"), f"id {slo.id!r} must match {NAME_RE.pattern}"))
    period = slo.period_ms or default_period_ms
    if period not in catalogue:
        problems.append(Problem(where, f"the {duration.format_ms(period)} SLO period time window "
                                       "is not supported (no alert windows for it)"))
    if slo.objective is None:
        pass  # the loader already said why
    elif not 0 < slo.objective <= 100:
        problems.append(Problem(at("objective"), "objective: must be above 0 and at most 100, "
                                                 f"got {slo.objective}"))
    elif slo.objective == 100:
        problems.append(Problem(at("objective"), "objective: 100 leaves no error budget, so "
                                                 "burn rates are infinite", warning=True))
    problems += _check_labels("labels", slo.labels, lambda k: at("labels", k))
    problems += _check_sli(slo, at, queries)
    problems += _check_alerting(slo, at)
    if slo.objective is not None and 0 < slo.objective < 100 and period in catalogue:
        problems += _lint_tiers(slo, catalogue[period], at("objective"))
    problems += _check_chain(slo.plugins, at("plugins"), plugins)
    return problems


def _check_name(field: str, value: str, loc: Location) -> Iterable[Problem]:
    if not value:
        yield Problem(loc, f"{field}: required")
    elif not NAME_RE.match(value):
        yield Problem(loc, f"{field}: {value!r} must match {NAME_RE.pattern}")


def _check_labels(field: str, labels: dict[str, str],
                  at: Callable[[str], Location]) -> Iterable[Problem]:
    for key, value in labels.items():
        if key == "__name__":
            yield Problem(at(key), f"{field}: label name __name__ is not allowed")
        elif not PROMETHEUS_LABEL_RE.match(key):
            yield Problem(at(key), f"{field}: {key!r} is not a valid Prometheus label name")
        elif value == "":
            yield Problem(at(key), f"{field}.{key}: label value must not be empty")


def _check_sli(slo: SLO, at: Callable[..., Location],
               queries: list[QueryCheck]) -> Iterable[Problem]:
    if slo.sli is None:
        return  # the loader said why
    if isinstance(slo.sli, LatencySLI):
        threshold_at = (slo.locations.get(("sli", "latency", "threshold"))
                        or slo.locations.get(("sli", "preset", "threshold")) or at("sli"))
        yield from _check_latency(slo.sli, threshold_at, at("sli", "latency", "le"))
        events = slo.sli.as_events()
        checks = [("sli.latency", events.error_query, at("sli", "latency")),
                  ("sli.latency", events.total_query, at("sli", "latency"))]
    elif isinstance(slo.sli, EventsSLI):
        if slo.sli.error_query == slo.sli.total_query:
            yield Problem(at("sli", "events"), "sli.events: error_query and total_query must "
                                               "differ")
        checks = [("sli.events.error_query", slo.sli.error_query,
                    at("sli", "events", "error_query")),
                   ("sli.events.total_query", slo.sli.total_query,
                    at("sli", "events", "total_query"))]
    else:
        assert isinstance(slo.sli, RawSLI)
        checks = [("sli.raw.error_ratio_query", slo.sli.error_ratio_query,
                    at("sli", "raw", "error_ratio_query"))]
    for field, query, loc in checks:
        yield from check_query(field, query, loc, queries)


def _check_latency(sli: LatencySLI, threshold_at: Location,
                   le_at: Location) -> Iterable[Problem]:
    """A threshold must be a bucket bound the histogram has, written as its producer writes it.

    Only our own and JupyterHub's histograms are known here; for others the spec's `le` is
    trusted (the bucket simply returns nothing when it is wrong).
    """
    buckets = KNOWN_BUCKETS.get(sli.metric)
    if buckets is None:
        return
    if float(sli.threshold) not in buckets:
        known = ", ".join(repr(b) for b in buckets)
        yield Problem(threshold_at,
                      f"sli: threshold {sli.threshold} is not a bucket boundary of "
                      f"{sli.metric} (boundaries: {known})")
    elif sli.le != repr(float(sli.threshold)):
        yield Problem(le_at,
                      f'sli.latency.le: {sli.metric} is written by prometheus_client, which '
                      f'writes le="{float(sli.threshold)!r}", not le="{sli.le}"')


def check_query(field: str, query: str, loc: Location,
                queries: list[QueryCheck]) -> Iterable[Problem]:
    if not query.strip():
        yield Problem(loc, f"{field}: required")
        return
    if not has_window(query):
        yield Problem(loc, f"{field}: must contain the {{{{.window}}}} placeholder")
        return
    try:
        rendered = render(query, "1m")
    except TemplateError as exc:
        yield Problem(loc, f"{field}: {exc}")
        return
    queries.append(QueryCheck(field, rendered, loc))


def _check_alerting(slo: SLO, at: Callable[..., Location]) -> Iterable[Problem]:
    alerting = slo.alerting
    if alerting.min_events and isinstance(slo.sli, RawSLI):
        yield Problem(at("alerting", "min_events"), "alerting.min_events: needs an SLI with a "
                                                    "total (events, latency or preset), not raw")
    enabled = [(n, a) for n, a in (("page_alert", alerting.page), ("ticket_alert",
                                                                    alerting.ticket))
               if not a.disable]
    if enabled and not alerting.name:
        yield Problem(at("alerting", "name"), "alerting.name: required unless both alerts are "
                                              "disabled")
    for name, alert in enabled:
        def label_at(key: str, name: str = name) -> Location:
            return at("alerting", name, "labels", key)

        yield from _check_labels(f"alerting.{name}.labels", alert.labels, label_at)
        for key, value in alert.annotations.items():
            loc = at("alerting", name, "annotations", key)
            if not key:
                yield Problem(loc, f"alerting.{name}.annotations: empty annotation name")
            elif value == "":
                yield Problem(loc, f"alerting.{name}.annotations.{key}: value must not be empty")


# Scrape interval plus rule evaluation before a firing condition is seen: an assumption (one
# minute, Prometheus' default evaluation interval), stated in the warning it feeds.
ASSUMED_DETECTION_DELAY_S = 60


def _lint_tiers(slo: SLO, windows: AlertWindows, where: Location) -> list[Problem]:
    """Warnings for alerts that cannot do their job: a tier that can never fire, and a
    budget so small a full outage spends it before the fastest page could fire."""
    assert slo.objective is not None
    budget = (100 - slo.objective) / 100
    problems = []
    names = ("page quick", "page slow", "ticket quick", "ticket slow")
    for name, tier in zip(names, windows.tiers(), strict=True):
        threshold = tier.exact_factor(windows.period_ms) * budget
        if threshold >= 1:
            problems.append(Problem(where, f"objective: the {name} tier can never fire: its "
                                           f"threshold ({threshold.normalize()}) is not below a "
                                           "100 % error ratio", warning=True))
    quick = windows.page_quick
    threshold = quick.exact_factor(windows.period_ms) * budget
    if threshold < 1:
        for_s = duration.parse(slo.alerting.for_) / 1000 if slo.alerting.for_ else 0
        fires_s = threshold * quick.long_ms / 1000 + Decimal(for_s) + ASSUMED_DETECTION_DELAY_S
        budget_s = budget * windows.period_ms / 1000
        if budget_s <= fires_s:
            problems.append(Problem(where, "objective: a full outage spends the whole error "
                                           f"budget ({budget_s:.1f}s) before the page can fire "
                                           f"(after about {fires_s:.0f}s, counting 1m of scrape "
                                           "and evaluation delay)", warning=True))
    return problems


def _check_chain(chain: PluginChain, where: Location, plugins: PluginRegistry) -> list[Problem]:
    problems = []
    if chain.override_previous and not chain.chain:
        problems.append(Problem(where, "plugins: overridePrevious needs at least one plugin in "
                                       "the chain"))
    for ref in chain.chain:
        loc = ref.location or where
        if not ref.id:
            problems.append(Problem(loc, "plugin id: required"))
        elif ref.id not in plugins.slo and ref.id not in _CORE_PLUGINS:
            problems.append(Problem(loc, f"SLO plugin {ref.id!r} is not loaded (add its "
                                         "directory with -p/--plugins-path)"))
    return problems
