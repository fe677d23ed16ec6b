"""Sloth's two spec formats: `prometheus/v1` and the Kubernetes `PrometheusServiceLevel` CRD.

Both describe the same model; the CRD spells keys in camelCase and decodes case-sensitively,
while `prometheus/v1` matches keys case-insensitively and turns number and boolean label values
into text (Sloth reads it through sigs.k8s.io/yaml). Locations are recorded under the
`prometheus/v1` key names whatever the format, so validation can name any line. SLI plugins
are resolved here, at the edge: the model only ever holds events or raw SLIs.
"""

from __future__ import annotations

from slo.gofmt import format_float_percent
from slo.loaders.reader import Reader, relative_locations
from slo.model import (
    SLO,
    Alert,
    Alerting,
    EventsSLI,
    K8sMeta,
    PluginChain,
    PluginRef,
    RawSLI,
    SLOGroup,
    SpecKind,
)
from slo.plugins import PluginError, PluginRegistry
from slo.problems import Problem
from slo.yamlsource import Location, Map, plain

# prometheus/v1 key -> CRD key, for the keys that differ.
_K8S_KEYS = {
    "slo_plugins": "sloPlugins",
    "error_query": "errorQuery",
    "total_query": "totalQuery",
    "error_ratio_query": "errorRatioQuery",
    "page_alert": "pageAlert",
    "ticket_alert": "ticketAlert",
}


class _Format:
    def __init__(self, kind: SpecKind) -> None:
        self.kind = kind
        self.k8s = kind is SpecKind.SLOTH_K8S

    def key(self, name: str) -> str:
        return _K8S_KEYS.get(name, name) if self.k8s else name


def load_sloth(root: Map, location: Location, kind: SpecKind, plugins: PluginRegistry,
               problems: list[Problem]) -> SLOGroup:
    fmt = _Format(kind)
    top = Reader(root, problems, {}, fold_case=not fmt.k8s)
    k8s_meta = None
    body = top
    if fmt.k8s:
        top.string("apiVersion")
        top.string("kind")
        k8s_meta = _k8s_meta(top.child("metadata"))
        spec = top.child("spec")
        top.finish(ignored=("status",))
        if spec is None:
            problems.append(Problem(root.loc, "spec: required"))
            return SLOGroup(kind, (), location, k8s=k8s_meta)
        body = spec
    else:
        version = body.string("version")
        if version != "prometheus/v1":
            body.error("version", 'invalid spec version, should be "prometheus/v1"')
    service = body.string("service")
    labels = body.string_map("labels", coerce=not fmt.k8s)
    group_plugins = _chain(body.child(fmt.key("slo_plugins"), "slo_plugins"), problems)
    slo_readers = body.children("slos")
    if not body.has("slos") or not slo_readers:
        body.error("slos", "at least one SLO is required")
    group_locs = {("service",): body.locations.get((*body.path, "service"), body.loc)}
    group_locs |= {("labels", k): body.locations[(*body.path, "labels", k)] for k in labels}
    slos = tuple(_slo(r, fmt, service, group_locs, labels, plugins, problems)
                 for r in slo_readers)
    body.finish()
    return SLOGroup(kind, slos, location, plugins=group_plugins, k8s=k8s_meta)


def _k8s_meta(meta: Reader | None) -> K8sMeta:
    if meta is None:
        return K8sMeta()
    result = K8sMeta(
        name=meta.string("name"),
        namespace=meta.string("namespace"),
        labels=meta.string_map("labels", coerce=False),
        annotations=meta.string_map("annotations", coerce=False),
    )
    meta.finish(ignored=tuple(k for k in meta.mapping if isinstance(k, str)))
    return result


def _chain(reader: Reader | None, problems: list[Problem]) -> PluginChain:
    if reader is None:
        return PluginChain()
    override = reader.boolean("overridePrevious")
    refs = []
    for item in reader.children("chain"):
        refs.append(PluginRef(item.string("id"), item.integer("priority"),
                              plain(item.raw("config")), item.loc))
        item.finish()
    reader.finish()
    return PluginChain(override, tuple(refs))


def _slo(r: Reader, fmt: _Format, service: str, group_locs: dict[tuple[str, ...], Location],
         group_labels: dict[str, str], plugins: PluginRegistry, problems: list[Problem]) -> SLO:
    name = r.string("name")
    if not r.has("objective"):
        r.error(None, "objective: required")
    objective = r.number("objective")
    exact, as_float = objective if objective else (None, 0.0)
    description = r.string("description")
    labels = {**group_labels, **r.string_map("labels", coerce=not fmt.k8s)}
    sli = _sli(r.child("sli"), r, fmt, service, name, as_float, group_labels, plugins, problems)
    alerting = _alerting(r.child("alerting"), fmt)
    chain = _chain(r.child("plugins"), problems)
    r.finish()
    return SLO(
        id=f"{service}-{name}", name=name, service=service, objective=exact,
        objective_float=as_float, sli=sli, description=description, labels=labels,
        alerting=alerting, plugins=chain,
        locations={**group_locs, **relative_locations(r)},
    )


def _sli(r: Reader | None, slo_reader: Reader, fmt: _Format, service: str, slo_name: str,
         objective: float,
         group_labels: dict[str, str], plugins: PluginRegistry,
         problems: list[Problem]) -> EventsSLI | RawSLI | None:
    if r is None:
        slo_reader.error(None, "sli: one SLI type (events, raw or plugin) is required")
        return None
    events = r.child("events")
    raw = r.child("raw")
    plugin = r.child("plugin")
    found: list[EventsSLI | RawSLI] = []
    if events is not None:
        found.append(EventsSLI(events.string(fmt.key("error_query"), "error_query"),
                               events.string(fmt.key("total_query"), "total_query")))
        events.finish()
    raw_sli = None
    if raw is not None:
        raw_sli = RawSLI(raw.string(fmt.key("error_ratio_query"), "error_ratio_query"))
        raw.finish()
    if plugin is not None:
        # As in Sloth, a plugin SLI silently replaces a raw one written beside it.
        raw_sli = _run_sli_plugin(plugin, service, slo_name, objective, group_labels, plugins,
                                  problems) or raw_sli
    if raw_sli is not None:
        found.append(raw_sli)
    r.finish()
    if len(found) > 1:
        problems.append(Problem(r.loc, "sli: exactly one SLI type (events, raw or plugin) "
                                       "must be set, found several"))
    if not found and plugin is None:
        problems.append(Problem(r.loc, "sli: one SLI type (events, raw or plugin) is required"))
    return found[0] if found else None


def _run_sli_plugin(r: Reader, service: str, slo_name: str, objective: float,
                    group_labels: dict[str, str], plugins: PluginRegistry,
                    problems: list[Problem]) -> RawSLI | None:
    plugin_id = r.string("id")
    options = r.string_map("options", coerce=False)
    r.finish()
    function = plugins.sli.get(plugin_id)
    if function is None:
        r.error("id", f"sli.plugin.id: SLI plugin {plugin_id!r} is not loaded "
                      "(add its directory with -p/--plugins-path)")
        return None
    meta = {"service": service, "slo": slo_name, "objective": format_float_percent(objective)}
    try:
        query = function(dict(meta), dict(group_labels), dict(options))
    except PluginError as exc:
        r.error(None, f"sli.plugin: SLI plugin {plugin_id!r}: {exc}")
        return None
    except Exception as exc:  # a plugin's bug is still the user's input problem, not ours
        r.error(None, f"sli.plugin: SLI plugin {plugin_id!r} failed: {exc!r}")
        return None
    if not isinstance(query, str):
        r.error(None, f"sli.plugin: SLI plugin {plugin_id!r} returned no query")
        return None
    return RawSLI(query)


def _alerting(r: Reader | None, fmt: _Format) -> Alerting:
    if r is None:
        return Alerting()
    name = r.string("name")
    labels = r.string_map("labels", coerce=not fmt.k8s)
    annotations = r.string_map("annotations", coerce=not fmt.k8s)
    page = _alert(r.child(fmt.key("page_alert"), "page_alert"), fmt, labels, annotations)
    ticket = _alert(r.child(fmt.key("ticket_alert"), "ticket_alert"), fmt, labels, annotations)
    r.finish()
    return Alerting(name, page, ticket)


def _alert(r: Reader | None, fmt: _Format, labels: dict[str, str],
           annotations: dict[str, str]) -> Alert:
    if r is None:
        return Alert(False, dict(labels), dict(annotations))
    disable = r.boolean("disable")
    own_labels = r.string_map("labels", coerce=not fmt.k8s)
    own_annotations = r.string_map("annotations", coerce=not fmt.k8s)
    r.finish()
    return Alert(disable, {**labels, **own_labels}, {**annotations, **own_annotations})
