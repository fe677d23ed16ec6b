"""OpenSLO `openslo/v1alpha` `kind: SLO`, read the way Sloth reads it.

Each objective becomes one SLO named `<metadata.name>-<index>`; its good/total ratio becomes
Sloth's raw error-ratio query, text for text; a single `timeWindows` entry in days sets the
period. OpenSLO specs carry no alerts, so both alerts are disabled. Where Sloth would panic (a
missing `target`) we report an error instead.
"""

from __future__ import annotations

from slo import duration
from slo.loaders.reader import Reader, relative_locations
from slo.model import SLO, Alert, Alerting, RawSLI, SLOGroup, SpecKind
from slo.problems import Problem
from slo.yamlsource import Location, Map

_OFF = Alert(disable=True)


def openslo_ratio_query(good: str, total: str) -> str:
    """Sloth's text for `1 - good/total`; the SLI rule wraps it in parentheses."""
    return f"\n  1 - (\n    (\n      {good}\n    )\n    /\n    (\n      {total}\n    )\n  )\n"


def load_openslo(root: Map, location: Location, problems: list[Problem]) -> SLOGroup:
    top = Reader(root, problems, {})
    top.string("apiVersion")
    top.string("kind")
    meta = top.child("metadata")
    name = meta.string("name") if meta else ""
    if meta:
        meta.finish(ignored=("displayName", "labels", "annotations", "namespace"))
    spec = top.child("spec")
    top.finish()
    if spec is None:
        problems.append(Problem(root.loc, "spec: required"))
        return SLOGroup(SpecKind.OPENSLO_V1ALPHA, (), location)
    service = spec.string("service")
    description = spec.string("description")
    period = _period(spec, problems)
    objectives = spec.children("objectives")
    if not objectives:
        spec.error("objectives", "spec.objectives: at least one objective is required")
    slos = tuple(
        _objective(o, index, name, service, description, period, problems)
        for index, o in enumerate(objectives)
    )
    spec.finish(ignored=("budgetingMethod", "indicator", "indicatorRef", "alertPolicies"))
    return SLOGroup(SpecKind.OPENSLO_V1ALPHA, slos, location)


def _period(spec: Reader, problems: list[Problem]) -> int | None:
    windows = spec.children("timeWindows")
    if len(windows) > 1:
        spec.error("timeWindows", "spec.timeWindows: only one time window is supported")
        return None
    if not windows:
        return None
    window = windows[0]
    count = window.integer("count")
    unit = window.string("unit")
    window.finish(ignored=("isRolling", "calendar"))
    if unit.lower() != "day":
        window.error("unit", f'spec.timeWindows[0].unit: only "Day" is supported, got {unit!r}')
        return None
    if count <= 0:
        window.error("count", "spec.timeWindows[0].count: must be a positive number of days")
        return None
    return count * duration.MS_PER_UNIT["d"]


def _objective(o: Reader, index: int, name: str, service: str, description: str,
               period: int | None, problems: list[Problem]) -> SLO:
    target = o.number("target")
    if target is None:
        o.error(None, f"spec.objectives[{index}].target: required")
    exact, as_float = target if target else (None, 0.0)
    ratio = o.child("ratioMetrics")
    sli = None
    if ratio is None:
        o.error(None, f"spec.objectives[{index}].ratioMetrics: required (Sloth reads only "
                      "ratio metrics)")
    else:
        good = _metric(ratio, "good", index)
        total = _metric(ratio, "total", index)
        ratio.finish(ignored=("counter",))
        sli = RawSLI(openslo_ratio_query(good, total))
    o.finish(ignored=("displayName", "op", "value", "timeSliceTarget", "timeSliceWindow"))
    slo_name = f"{name}-{index}"
    return SLO(
        id=f"{service}-{slo_name}", name=slo_name, service=service,
        objective=None if exact is None else (exact * 100).normalize(),
        objective_float=as_float * 100, sli=sli,
        description=description, alerting=Alerting("", _OFF, _OFF), period_ms=period,
        locations=relative_locations(o),
    )


def _metric(ratio: Reader, which: str, index: int) -> str:
    name = f"spec.objectives[{index}].ratioMetrics.{which}"
    metric = ratio.child(which)
    if metric is None:
        ratio.error(None, f"{name}: required")
        return ""
    source = metric.string("source")
    query_type = metric.string("queryType")
    query = metric.string("query")
    metric.finish()
    if source not in ("prometheus", "sloth"):
        metric.error("source", f'{name}.source: must be "prometheus" or "sloth", got {source!r}')
    if query_type != "promql":
        metric.error("queryType", f'{name}.queryType: must be "promql", got {query_type!r}')
    return query
