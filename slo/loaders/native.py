"""Our own spec format, `version: jupyter-slo/v1`: Sloth's shape plus what Sloth lacks.

Strict where Sloth is lenient: unknown keys are errors, numbers must be numbers. Additions:
a `period` per SLO (and a file default), latency SLIs over histograms, Jupyter presets, and
alert guards (`for`, `keep_firing_for`, `min_events`, `no_data`). Field reference:
docs/spec.md; JSON Schema: slo/schemas/jupyter-slo-v1.schema.json.
"""

from __future__ import annotations

from decimal import Decimal

from slo import duration
from slo.loaders.reader import Reader, relative_locations
from slo.model import (
    SLI,
    SLO,
    Alert,
    Alerting,
    EventsSLI,
    LatencySLI,
    RawSLI,
    SLOGroup,
    SpecKind,
)
from slo.presets import PresetError, expand, python_le
from slo.problems import Problem
from slo.yamlsource import Location, Map, Seq

_SLI_KINDS = ("events", "raw", "latency", "preset")


def load_native(root: Map, location: Location, problems: list[Problem]) -> SLOGroup:
    top = Reader(root, problems, {}, strict=True)
    top.string("version")
    service = top.string("service")
    labels = top.string_map("labels", coerce=False)
    default_period = top.duration_ms("period")
    slo_readers = top.children("slos")
    if not slo_readers:
        top.error("slos", "slos: at least one SLO is required")
    group_locs = {("service",): top.locations.get(("service",), top.loc)}
    group_locs |= {("labels", k): top.locations[("labels", k)] for k in labels}
    slos = tuple(s for r in slo_readers
                 for s in _slo(r, service, labels, default_period, group_locs))
    top.finish()
    return SLOGroup(SpecKind.NATIVE_V1, slos, location)


def _objectives(r: Reader) -> list[tuple[Decimal | None, float, Location]]:
    """`objective: 99.9`, or `objectives: [99.9, 99]` (strictest first after sorting)."""
    if r.has("objective") == r.has("objectives"):
        r.error(None, "objective: exactly one of objective or objectives is required")
    if r.has("objective"):
        number = r.number("objective")
        exact, as_float = number if number else (None, 0.0)
        return [(exact, as_float, r.locations.get((*r.path, "objective"), r.loc))]
    items = r.raw("objectives")
    if not isinstance(items, Seq) or not items:
        r.error("objectives", "objectives: a non-empty list of numbers is required")
        return [(None, 0.0, r.loc)]
    out = []
    for index, item in enumerate(items):
        if isinstance(item, bool) or not isinstance(item, int | float):
            r.problems.append(Problem(items.item_loc(index), f"objectives[{index}]: expected a "
                                                             "number"))
            continue
        raw = (items.raw[index] or repr(item)).replace("_", "")
        out.append((Decimal(raw), float(item), items.item_loc(index)))
    return sorted(out, key=lambda o: o[0] or 0, reverse=True) or [(None, 0.0, r.loc)]


def _slo(r: Reader, service: str, group_labels: dict[str, str], default_period: int | None,
         group_locs: dict[tuple[str, ...], Location]) -> list[SLO]:
    """One SLO, or one per objective: the strictest keeps the name and alerts; the others are
    reported as `<name>-<objective>` (dots become dashes), without alerts."""
    name = r.string("name")
    objectives = _objectives(r)
    description = r.string("description")
    period = r.duration_ms("period") or default_period
    slow_interval = _duration_text(r, "slow_interval")
    labels = {**group_labels, **r.string_map("labels", coerce=False)}
    sli = _sli(r.child("sli"), r)
    alerting = _alerting(r.child("alerting"))
    r.finish()
    locations = {**group_locs, **relative_locations(r)}
    slos = []
    for rank, (exact, as_float, where) in enumerate(objectives):
        slo_name = name if rank == 0 else f"{name}-{str(exact).replace('.', '-')}"
        slos.append(SLO(
            id=f"{service}-{slo_name}", name=slo_name, service=service, objective=exact,
            objective_float=as_float, sli=sli, description=description, labels=labels,
            alerting=alerting if rank == 0 else Alerting("", Alert(disable=True),
                                                         Alert(disable=True)),
            period_ms=period, slow_interval=slow_interval,
            locations={**locations, ("objective",): where}))
    return slos


def _sli(r: Reader | None, slo: Reader) -> SLI | None:
    if r is None:
        slo.error(None, "sli: required")
        return None
    present = [k for k in _SLI_KINDS if r.has(k)]
    if len(present) != 1:
        r.error(None, f"sli: exactly one of {', '.join(_SLI_KINDS)} is required"
                      + (f", found {', '.join(present)}" if present else ""))
    found: list[SLI | None] = []
    if (events := r.child("events")) is not None:
        found.append(EventsSLI(events.string("error_query"), events.string("total_query")))
        events.finish()
    if (raw := r.child("raw")) is not None:
        found.append(RawSLI(raw.string("error_ratio_query")))
        raw.finish()
    if (latency := r.child("latency")) is not None:
        found.append(_latency(latency))
        latency.finish()
    if (preset := r.child("preset")) is not None:
        found.append(_preset(preset))
        preset.finish()
    r.finish()
    return found[0] if found else None


def _threshold(r: Reader) -> Decimal | None:
    number = r.number("threshold")
    if number is not None and number[0] <= 0:
        r.error("threshold", "threshold: must be a positive number of seconds")
        return None
    return number[0] if number else None


def _latency(r: Reader) -> LatencySLI | None:
    metric = r.string("metric")
    threshold = _threshold(r)
    matchers = r.string("matchers")
    extra = r.string("extra_errors")
    le = r.string("le") if r.has("le") else None
    if not metric:
        r.error(None, "sli.latency.metric: required (the histogram's name, without _bucket)")
    if threshold is None:
        if not r.has("threshold"):
            r.error(None, "sli.latency.threshold: required (seconds)")
        return None
    return LatencySLI(metric.removesuffix("_bucket"), threshold,
                      le if le is not None else python_le(threshold), matchers, extra)


def _preset(r: Reader) -> SLI | None:
    name = r.string("name")
    threshold = _threshold(r)
    matchers = r.string("matchers")
    try:
        return expand(name, matchers, threshold)
    except PresetError as exc:
        r.error("name", f"sli.preset: {exc}")
        return None


def _alerting(r: Reader | None) -> Alerting:
    if r is None:
        return Alerting("", Alert(disable=True), Alert(disable=True))
    name = r.string("name")
    labels = r.string_map("labels", coerce=False)
    annotations = r.string_map("annotations", coerce=False)
    page = _alert(r.child("page"), labels, annotations)
    ticket = _alert(r.child("ticket"), labels, annotations)
    for_ = _duration_text(r, "for")
    keep = _duration_text(r, "keep_firing_for")
    min_events = r.integer("min_events")
    if min_events < 0:
        r.error("min_events", "alerting.min_events: must not be negative")
    no_data = r.boolean("no_data")
    r.finish()
    return Alerting(name, page, ticket, for_, keep, max(min_events, 0), no_data)


def _duration_text(r: Reader, key: str) -> str:
    ms = r.duration_ms(key)
    return duration.format_ms(ms) if ms else ""


def _alert(r: Reader | None, labels: dict[str, str], annotations: dict[str, str]) -> Alert:
    if r is None:
        return Alert(False, dict(labels), dict(annotations))
    disable = r.boolean("disable")
    own_labels = r.string_map("labels", coerce=False)
    own_annotations = r.string_map("annotations", coerce=False)
    r.finish()
    return Alert(disable, {**labels, **own_labels}, {**annotations, **own_annotations})
