"""OpenSLO `openslo/v1`, the parts with an honest Prometheus meaning; the rest is an error.

Supported: `kind: SLO` with an inline `indicator` or an `indicatorRef` to a `kind: SLI`
document of the same file; `ratioMetric` with `good` or `bad` plus `total`, or `raw` with
`rawType`; one rolling `timeWindow` in minutes, hours, days or weeks; `budgetingMethod:
Occurrences`; `target` or `targetPercent`; several objectives. Queries either hold
`{{.window}}` (used as written) or, with `counter: true`, are selectors we wrap in
`sum(rate(...[{{.window}}]))`. Other kinds (Service, DataSource, AlertPolicy, ...) are read
and ignored.

Not supported, each reported as an error rather than approximated: Timeslices and
RatioTimeslices budgeting, calendar windows and month/quarter/year durations,
`thresholdMetric`, composite SLOs, non-counter selectors without `{{.window}}`.

Several objectives: the strictest alerts; each objective gets its own series (named
`<name>` for the strictest and `<name>-<index>` for the others, so `sloth_slo` tells them
apart), reported but not alerted on. Any `alertPolicies` turn on our multi-window
multi-burn-rate page and ticket alerts (OpenSLO's single-window conditions are not copied);
`alertWhenNoData: true` in an inline policy adds the no-data alert.
"""

from __future__ import annotations

import re
from dataclasses import replace
from decimal import Decimal

from slo.loaders.reader import Reader, relative_locations
from slo.model import SLI, SLO, Alert, Alerting, EventsSLI, RawSLI, SLOGroup, SpecKind
from slo.problems import Problem
from slo.template import has_window
from slo.yamlsource import Location, Map

_OFF = Alert(disable=True)
_SHORTHAND = re.compile(r"^(\d+)([mhdwMQY])$")
_UNIT_MS = {"m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 7 * 86_400_000}
IGNORED_KINDS = ("Service", "DataSource", "AlertPolicy", "AlertCondition",
                 "AlertNotificationTarget")


def load_openslo_v1(root: Map, location: Location, slis: dict[str, Map],
                    problems: list[Problem]) -> SLOGroup:
    top = Reader(root, problems, {})
    top.string("apiVersion")
    kind = top.string("kind")
    if kind in IGNORED_KINDS or kind == "SLI":
        return SLOGroup(SpecKind.OPENSLO_V1, (), location)
    meta = top.child("metadata")
    name = meta.string("name") if meta else ""
    labels = _labels(meta)
    if meta:
        meta.finish(ignored=("displayName", "annotations", "namespace"))
    spec = top.child("spec")
    top.finish()
    if spec is None:
        problems.append(Problem(root.loc, "spec: required"))
        return SLOGroup(SpecKind.OPENSLO_V1, (), location)
    service = spec.string("service")
    description = spec.string("description")
    period = _period(spec)
    method = spec.string("budgetingMethod")
    if method != "Occurrences":
        spec.error("budgetingMethod", f"spec.budgetingMethod: only Occurrences is supported "
                                      f"(Prometheus rules count events), got {method!r}")
    sli = _indicator(spec, slis)
    alerting = _alerting(spec, name)
    objectives = [_target(o, i) for i, o in enumerate(spec.children("objectives"))]
    if not objectives:
        spec.error("objectives", "spec.objectives: at least one objective is required")
    spec.finish(ignored=("indicatorRef", "alertPolicies"))
    located = relative_locations(spec)
    order = sorted(range(len(objectives)), key=lambda i: objectives[i][0] or 0, reverse=True)
    slos = []
    for rank, index in enumerate(order):
        exact, as_float = objectives[index]
        slo_name = name if rank == 0 else f"{name}-{index}"
        objective_at = located.get(("objectives", index), location)
        slos.append(SLO(
            id=f"{service}-{slo_name}", name=slo_name, service=service, objective=exact,
            objective_float=as_float, sli=sli, description=description, labels=labels,
            alerting=alerting if rank == 0 else replace(alerting, page=_OFF, ticket=_OFF,
                                                         no_data=False),
            period_ms=period, locations={**located, ("objective",): objective_at}))
    return SLOGroup(SpecKind.OPENSLO_V1, tuple(slos), location)


def _labels(meta: Reader | None) -> dict[str, str]:
    if meta is None:
        return {}
    raw = meta.raw("labels")
    if not isinstance(raw, dict):
        return {}
    out = {}
    for key, value in raw.items():
        if isinstance(value, list):
            meta.error("labels", f"metadata.labels.{key}: list values have no Prometheus label "
                                 "equivalent; use one string")
            continue
        out[str(key)] = str(value)
    return out


def _period(spec: Reader) -> int | None:
    windows = spec.children("timeWindow")
    if len(windows) != 1:
        spec.error("timeWindow", "spec.timeWindow: exactly one time window is required")
        return None
    window = windows[0]
    text = window.string("duration")
    rolling = window.boolean("isRolling")
    window.finish(ignored=("calendar",))
    if not rolling or window.has("calendar"):
        window.error("isRolling", "spec.timeWindow: only rolling windows are supported "
                                  "(isRolling: true); calendar windows have no PromQL equivalent")
        return None
    match = _SHORTHAND.match(text)
    if not match or match.group(2) not in _UNIT_MS:
        window.error("duration", f"spec.timeWindow[0].duration: {text!r} is not supported; use "
                                 "minutes, hours, days or weeks (e.g. 28d)")
        return None
    return int(match.group(1)) * _UNIT_MS[match.group(2)]


def _target(o: Reader, index: int) -> tuple[Decimal | None, float]:
    for unsupported in ("op", "value", "timeSliceTarget", "timeSliceWindow", "indicator",
                        "indicatorRef", "compositeWeight"):
        if o.has(unsupported):
            o.error(unsupported, f"spec.objectives[{index}].{unsupported}: not supported "
                                 "(threshold, time-slice and composite objectives)")
            o.raw(unsupported)
    target = o.number("target")
    percent = o.number("targetPercent")
    o.finish(ignored=("displayName",))
    if target is not None:
        return (target[0] * 100).normalize(), target[1] * 100
    if percent is not None:
        return percent
    o.error(None, f"spec.objectives[{index}]: target or targetPercent is required")
    return None, 0.0


def _indicator(spec: Reader, slis: dict[str, Map]) -> SLI | None:
    inline = spec.child("indicator")
    if inline is not None:
        inline.child("metadata")
        body = inline.child("spec")
        inline.finish()
    else:
        ref = spec.string("indicatorRef")
        if not ref:
            spec.error(None, "spec: indicator or indicatorRef is required")
            return None
        if ref not in slis:
            spec.error("indicatorRef", f"spec.indicatorRef: no SLI named {ref!r} in this file")
            return None
        document = Reader(slis[ref], spec.problems, {})
        document.string("apiVersion")
        document.string("kind")
        document.child("metadata")
        body = document.child("spec")
        document.finish()
    if body is None:
        spec.error("indicator" if inline is not None else "indicatorRef",
                   "spec.indicator: the SLI needs a spec with a ratioMetric")
        return None
    if body.has("thresholdMetric"):
        body.error("thresholdMetric", "thresholdMetric: not supported (only ratioMetric)")
        body.raw("thresholdMetric")
    ratio = body.child("ratioMetric")
    body.finish(ignored=("description",))
    if ratio is None and not body.has("thresholdMetric"):
        body.error(None, "ratioMetric: required")
    return _ratio(ratio) if ratio is not None else None


def _ratio(r: Reader) -> SLI | None:
    counter = r.boolean("counter")
    parts = {k: _query(r, k, counter) for k in ("good", "bad", "total", "raw") if r.has(k)}
    raw_type = r.string("rawType")
    r.finish()
    if "raw" in parts:
        query = parts["raw"]
        return RawSLI(query if raw_type == "failure" else f"1 - ({query})")
    total = parts.get("total")
    if total is None or ("good" in parts) == ("bad" in parts):
        r.error(None, "ratioMetric: needs total and exactly one of good or bad (or raw)")
        return None
    if "bad" in parts:
        return EventsSLI(parts["bad"], total)
    return EventsSLI(f"({total}) - ({parts['good']})", total)


def _query(r: Reader, key: str, counter: bool) -> str:
    source = r.child(key)
    if source is None:
        return ""
    metric = source.child("metricSource")
    source.finish()
    if metric is None:
        source.error(None, f"ratioMetric.{key}.metricSource: required")
        return ""
    spec = metric.child("spec")
    metric.finish(ignored=("metricSourceRef", "type"))
    query = spec.string("query") if spec else ""
    if spec:
        spec.finish()
    if has_window(query):
        return query
    if counter:
        return f"sum(rate({query}[{{{{.window}}}}]))"
    (spec or metric).error("query", f"ratioMetric.{key}: a query without {{{{.window}}}} needs "
                                    "counter: true (we then take its rate)")
    return query


def _alerting(spec: Reader, name: str) -> Alerting:
    policies = spec.raw("alertPolicies")
    if not isinstance(policies, list) or not policies:
        return Alerting("", _OFF, _OFF)
    no_data = any(isinstance(p, dict) and isinstance(p.get("spec"), dict)
                  and p["spec"].get("alertWhenNoData") is True for p in policies)
    alert_name = "".join(part.capitalize() for part in re.split(r"[-_.]", name)) + "BudgetBurn"
    return Alerting(alert_name, Alert(), Alert(), no_data=no_data)

