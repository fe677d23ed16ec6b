"""The pass from grafanalib's dashboard JSON (schemaVersion 12) to Grafana's current model.

grafanalib 0.7.1 writes the old model: legacy top-level keys (`rows`, `style`, `__inputs`...),
nulls where Grafana wants a string or nothing, a Stat's threshold steps as `""`, a base
threshold value as the string `"null"`, Graph-era threshold fields, table and heatmap keys from
before Grafana 8/9, the datasource as a string, and variables with keys Grafana dropped. This
pass is pure (dict in, new dict out) and total: a key it does not know is an error, never
passed through, so a grafanalib upgrade that writes something new fails the build instead of
shipping a dashboard Grafana may reject. Conventions of the output:
- `schemaVersion` 39; no nulls except a base threshold step's `value` (Grafana's -Infinity);
- every datasource is the object `{"type": "prometheus", "uid": "${datasource}"}`;
- every panel has `fieldConfig.defaults` and `fieldConfig.overrides`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

SCHEMA_VERSION = 39
DATASOURCE_VARIABLE = "${datasource}"
PROMETHEUS = {"type": "prometheus", "uid": DATASOURCE_VARIABLE}
BASE_STEP_COLOR = "green"

DASHBOARD_KEYS = frozenset({
    "annotations", "description", "editable", "graphTooltip", "links", "panels", "refresh",
    "schemaVersion", "tags", "templating", "time", "timepicker", "timezone", "title", "uid",
    "version", "fiscalYearStartMonth", "liveNow", "weekStart"})
DASHBOARD_LEGACY = frozenset({"__inputs", "rows", "hideControls", "sharedCrosshair", "style",
                              "gnetId", "id"})
PANEL_KEYS = frozenset({
    "cacheTimeout", "datasource", "description", "fieldConfig", "gridPos", "hideTimeOverride",
    "id", "interval", "links", "maxDataPoints", "maxPerRow", "options", "pluginVersion",
    "repeat", "repeatDirection", "targets", "timeFrom", "timeShift", "title", "transformations",
    "transparent", "type"})
PANEL_LEGACY = frozenset({"editable", "error", "height", "span", "minSpan"})
TABLE_LEGACY = frozenset({"columns", "fontSize", "color", "mappings"})
HEATMAP_LEGACY = frozenset({
    "cards", "color", "dataFormat", "heatmap", "hideZeroBuckets", "highlightCards", "legend",
    "reverseYBuckets", "tooltip", "xAxis", "xBucketNumber", "xBucketSize", "yAxis",
    "yBucketBound", "yBucketNumber", "yBucketSize"})
ROW_KEYS = frozenset({"collapsed", "datasource", "gridPos", "id", "panels", "repeat", "title",
                      "type"})
VARIABLE_LEGACY = frozenset({"auto", "auto_min", "auto_count", "useTags", "tagsQuery",
                             "tagValuesQuery"})
VARIABLE_KEYS = frozenset({
    "allValue", "current", "datasource", "description", "hide", "includeAll", "label", "multi",
    "name", "options", "query", "refresh", "regex", "skipUrlSync", "sort", "type"})
TIMEPICKER_LEGACY = frozenset({"time_options"})
TARGET_LEGACY = frozenset({"query", "target", "metric", "step", "intervalFactor"})


class LegacyModelError(ValueError):
    """grafanalib wrote something this pass does not know how to modernise."""


def modernize(legacy: Mapping[str, Any]) -> dict[str, Any]:
    dashboard = strip_nulls(legacy)
    if dashboard.get("rows"):
        raise LegacyModelError("legacy `rows` are not supported: use RowPanel in `panels`")
    out = {k: v for k, v in dashboard.items() if k not in DASHBOARD_LEGACY}
    _check_keys("dashboard", out, DASHBOARD_KEYS)
    out["schemaVersion"] = SCHEMA_VERSION
    out["panels"] = [_panel(p) for p in out.get("panels", [])]
    out["templating"] = {"list": [_variable(v) for v in out.get("templating", {}).get("list",
                                                                                          [])]}
    if "timepicker" in out:
        out["timepicker"] = {k: v for k, v in out["timepicker"].items()
                             if k not in TIMEPICKER_LEGACY}
    return out


def strip_nulls(value: Any) -> Any:
    """Drop every null-valued key and null list item (a threshold's `"null"` is fixed later)."""
    if isinstance(value, Mapping):
        return {k: strip_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [strip_nulls(v) for v in value if v is not None]
    return value


def datasource(value: Any) -> dict[str, str]:
    """grafanalib writes a datasource as a name or `${datasource}`; Grafana wants a ref."""
    if value is None or value == DATASOURCE_VARIABLE:
        return dict(PROMETHEUS)
    if isinstance(value, str):
        return {"type": "prometheus", "uid": value}
    if isinstance(value, Mapping):
        return dict(value)
    raise LegacyModelError(f"datasource {value!r} is neither a name nor a reference")


def thresholds(value: Any) -> dict[str, Any]:
    """Repair steps: `""` means none, `"null"` or a missing value means -Infinity; sorted."""
    value = dict(value or {})
    raw = value.get("steps") or []
    if not isinstance(raw, list):
        raise LegacyModelError(f"threshold steps {raw!r} are not a list")
    steps = []
    for step in raw:
        number = step.get("value")
        if number in ("null", None):
            number = None
        elif isinstance(number, bool) or not isinstance(number, int | float):
            raise LegacyModelError(f"threshold value {number!r} is not a number")
        steps.append({"color": step.get("color", BASE_STEP_COLOR), "value": number})
    base = [s for s in steps if s["value"] is None]
    if len(base) > 1:
        raise LegacyModelError("more than one base threshold step")
    rest = sorted((s for s in steps if s["value"] is not None), key=lambda s: s["value"])
    return {"mode": value.get("mode", "absolute"),
            "steps": (base or [{"color": BASE_STEP_COLOR, "value": None}]) + rest}


def _check_keys(where: str, obj: Mapping[str, Any], known: frozenset[str]) -> None:
    unknown = sorted(set(obj) - known)
    if unknown:
        raise LegacyModelError(f"{where}: unknown keys {unknown}")


def _panel(panel: Mapping[str, Any]) -> dict[str, Any]:
    kind = panel.get("type")
    if kind == "row":
        return _row(panel)
    out = {k: v for k, v in panel.items() if k not in PANEL_LEGACY}
    where = f"panel {out.get('title', '?')!r}"
    field_config = _field_config(out.get("fieldConfig", {}))
    if kind == "table":
        if out.get("columns"):
            raise LegacyModelError(f"{where}: table `columns` belong to the pre-8 table")
        if "color" in out:
            field_config["defaults"].setdefault("color", out["color"])
        if out.get("mappings"):
            field_config["defaults"]["mappings"] = [*field_config["defaults"].get("mappings", []),
                                                    *out["mappings"]]
        out = {k: v for k, v in out.items() if k not in TABLE_LEGACY}
    elif kind == "heatmap":
        out = {k: v for k, v in out.items() if k not in HEATMAP_LEGACY}
        if out.get("options") == []:
            out["options"] = {}
    if not out.get("repeat"):
        out = {k: v for k, v in out.items() if k not in ("repeat", "repeatDirection",
                                                         "maxPerRow")}
    _check_keys(where, out, PANEL_KEYS)
    out["fieldConfig"] = field_config
    out["datasource"] = datasource(out.get("datasource"))
    out["targets"] = [_target(t) for t in out.get("targets", [])]
    out["links"] = [_link(link) for link in out.get("links", [])]
    if not isinstance(out.get("options", {}), Mapping):
        raise LegacyModelError(f"{where}: options {out['options']!r} are not an object")
    return out


def _row(panel: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in panel.items() if k in ROW_KEYS}
    out.setdefault("collapsed", False)
    out["panels"] = [_panel(p) for p in out.get("panels", [])]
    if "datasource" in out:
        out["datasource"] = datasource(out["datasource"])
    return out


def _field_config(value: Mapping[str, Any]) -> dict[str, Any]:
    defaults = dict(value.get("defaults", {}))
    defaults["thresholds"] = thresholds(defaults.get("thresholds"))
    custom = dict(defaults.get("custom", {}))
    if custom.get("stacking") == {}:
        custom["stacking"] = {"group": "A", "mode": "none"}
    defaults["custom"] = custom
    return {"defaults": defaults, "overrides": list(value.get("overrides", []))}


def _target(target: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in target.items() if k not in TARGET_LEGACY}
    out["datasource"] = datasource(out.get("datasource"))
    if out.get("interval") == "":
        del out["interval"]
    if not out.get("legendFormat"):
        out.pop("legendFormat", None)
    if out.get("hide") is False:
        del out["hide"]
    out["range"] = not out.get("instant", False)
    out["editorMode"] = "code"
    return out


def _link(link: Mapping[str, Any]) -> dict[str, Any]:
    """Panel links use the DashboardLink shape in Grafana's model: every field present."""
    defaults = {"asDropdown": False, "icon": "external link", "includeVars": False,
                "keepTime": True, "tags": [], "targetBlank": False, "tooltip": "",
                "type": "link"}
    return {**defaults, **link}


def _variable(variable: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in variable.items() if k not in VARIABLE_LEGACY}
    _check_keys(f"variable {out.get('name', '?')!r}", out, VARIABLE_KEYS)
    current = {k: v for k, v in out.get("current", {}).items() if k != "tags"}
    if "text" in current and "value" in current:
        out["current"] = current
    else:
        out.pop("current", None)
    if out.get("type") == "datasource":
        out.pop("datasource", None)
    elif out.get("type") == "query":
        out["datasource"] = datasource(out.get("datasource"))
    if not out.get("regex"):
        out.pop("regex", None)
    return out
