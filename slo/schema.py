"""JSON Schemas for every spec format we read, for editors and CI linting.

Built here in Python so the native schema follows the code (preset names come from
`slo.presets`), and written to `slo/schemas/*.schema.json` (`python -m slo.schema --write`;
a test fails when a file is stale). Draft-07, which yaml-language-server understands; a spec
file opts in with `# yaml-language-server: $schema=<path to the file>`.

The native schema is strict (unknown keys are errors), like its loader. The Sloth and OpenSLO
v1alpha schemas are as lenient as Sloth: unknown keys are allowed, and `prometheus/v1` label
values may be numbers or booleans (Sloth turns them into text).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from slo.presets import PRESETS
from slo.validation import NAME_RE, PROMETHEUS_LABEL_RE

SCHEMA_DIR = Path(__file__).with_name("schemas")
DRAFT = "http://json-schema.org/draft-07/schema#"
DURATION = {"type": "string", "minLength": 2,
            "pattern": r"^([0-9]+y)?([0-9]+w)?([0-9]+d)?([0-9]+h)?([0-9]+m)?([0-9]+s)?"
                       r"([0-9]+ms)?$"}
NAME = {"type": "string", "pattern": NAME_RE.pattern}
OBJECTIVE = {"type": "number", "exclusiveMinimum": 0, "maximum": 100}
WINDOW_QUERY = {"type": "string", "pattern": r"\{\{ *\.window *\}\}"}


def _object(properties: dict[str, Any], required: tuple[str, ...] = (), *,
            strict: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        out["required"] = list(required)
    if strict:
        out["additionalProperties"] = False
    return out


def _labels(*, coerce: bool) -> dict[str, Any]:
    value: dict[str, Any] = {"type": "string", "minLength": 1}
    if coerce:
        value = {"type": ["string", "number", "boolean"]}
    return {"type": "object", "propertyNames": {"pattern": PROMETHEUS_LABEL_RE.pattern},
            "additionalProperties": value}


ANNOTATIONS = {"type": "object", "additionalProperties": {"type": "string"}}


def native() -> dict[str, Any]:
    alert = _object({"disable": {"type": "boolean"}, "labels": _labels(coerce=False),
                     "annotations": ANNOTATIONS}, strict=True)
    threshold = {"type": "number", "exclusiveMinimum": 0}
    preset = _object({"name": {"enum": sorted(PRESETS)}, "threshold": threshold,
                      "matchers": {"type": "string"}}, ("name",), strict=True)
    latency = _object({"metric": {"type": "string", "minLength": 1}, "threshold": threshold,
                       "le": {"type": "string"}, "matchers": {"type": "string"},
                       "extra_errors": WINDOW_QUERY}, ("metric", "threshold"), strict=True)
    sli = _object({
        "events": _object({"error_query": WINDOW_QUERY, "total_query": WINDOW_QUERY},
                          ("error_query", "total_query"), strict=True),
        "raw": _object({"error_ratio_query": WINDOW_QUERY}, ("error_ratio_query",),
                       strict=True),
        "latency": latency, "preset": preset}, strict=True)
    sli["minProperties"] = sli["maxProperties"] = 1
    alerting = _object({
        "name": NAME, "labels": _labels(coerce=False), "annotations": ANNOTATIONS,
        "page": alert, "ticket": alert, "for": DURATION, "keep_firing_for": DURATION,
        "min_events": {"type": "integer", "minimum": 0}, "no_data": {"type": "boolean"},
    }, strict=True)
    slo = _object({
        "name": NAME, "description": {"type": "string"},
        "objective": OBJECTIVE,
        "objectives": {"type": "array", "minItems": 1, "items": OBJECTIVE},
        "period": DURATION, "slow_interval": DURATION, "labels": _labels(coerce=False),
        "sli": sli, "alerting": alerting,
    }, ("name", "sli"), strict=True)
    slo["oneOf"] = [{"required": ["objective"]}, {"required": ["objectives"]}]
    return {"$schema": DRAFT, "title": "jupyter-slo/v1 SLO spec", **_object({
        "version": {"const": "jupyter-slo/v1"}, "service": NAME,
        "labels": _labels(coerce=False), "period": DURATION,
        "slos": {"type": "array", "minItems": 1, "items": slo},
    }, ("version", "service", "slos"), strict=True)}


def _sloth_slo(*, k8s: bool) -> dict[str, Any]:
    def key(snake: str, camel: str) -> str:
        return camel if k8s else snake

    alert = _object({"disable": {"type": "boolean"}, "labels": _labels(coerce=not k8s),
                     "annotations": ANNOTATIONS}, strict=False)
    chain = _object({"overridePrevious": {"type": "boolean"}, "chain": {
        "type": "array", "items": _object({"id": {"type": "string", "minLength": 1},
                                           "priority": {"type": "integer"}, "config": {}},
                                          ("id",), strict=False)}}, strict=False)
    sli = _object({
        "events": _object({key("error_query", "errorQuery"): WINDOW_QUERY,
                           key("total_query", "totalQuery"): WINDOW_QUERY},
                          (key("error_query", "errorQuery"), key("total_query", "totalQuery")),
                          strict=False),
        "raw": _object({key("error_ratio_query", "errorRatioQuery"): WINDOW_QUERY},
                       strict=False),
        "plugin": _object({"id": {"type": "string"}, "options": {
            "type": "object", "additionalProperties": {"type": "string"}}}, ("id",),
            strict=False),
    }, strict=False)
    alerting = _object({"name": {"type": "string"}, "labels": _labels(coerce=not k8s),
                        "annotations": ANNOTATIONS, key("page_alert", "pageAlert"): alert,
                        key("ticket_alert", "ticketAlert"): alert}, strict=False)
    return _object({"name": NAME, "description": {"type": "string"},
                    "objective": {"type": "number", "exclusiveMinimum": 0, "maximum": 100},
                    "labels": _labels(coerce=not k8s), "sli": sli, "alerting": alerting,
                    "plugins": chain},
                   ("name", "objective", "sli") + (("alerting",) if k8s else ()), strict=False)


def _sloth_body(*, k8s: bool) -> dict[str, Any]:
    chain_key = "sloPlugins" if k8s else "slo_plugins"
    return _object({"service": {"type": "string"}, "labels": _labels(coerce=not k8s),
                    chain_key: {"type": "object"},
                    "slos": {"type": "array", "minItems": 1, "items": _sloth_slo(k8s=k8s)}},
                   ("service", "slos"), strict=False)


def sloth_v1() -> dict[str, Any]:
    body = _sloth_body(k8s=False)
    body["properties"]["version"] = {"const": "prometheus/v1"}
    body["required"] = ["version", *body["required"]]
    return {"$schema": DRAFT, "title": "Sloth prometheus/v1 SLO spec (as Sloth reads it)",
            **body}


def sloth_k8s() -> dict[str, Any]:
    return {"$schema": DRAFT, "title": "Sloth PrometheusServiceLevel (sloth.slok.dev/v1)",
            **_object({"apiVersion": {"const": "sloth.slok.dev/v1"},
                       "kind": {"const": "PrometheusServiceLevel"},
                       "metadata": {"type": "object"}, "spec": _sloth_body(k8s=True)},
                      ("apiVersion", "kind", "spec"), strict=False)}


def openslo_v1alpha() -> dict[str, Any]:
    metric = _object({"source": {"type": "string"}, "queryType": {"type": "string"},
                      "query": WINDOW_QUERY}, ("query",), strict=False)
    objective = _object({"target": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
                         "ratioMetrics": _object({"good": metric, "total": metric},
                                                 ("good", "total"), strict=False)},
                        ("target", "ratioMetrics"), strict=False)
    spec = _object({"service": {"type": "string"}, "description": {"type": "string"},
                    "objectives": {"type": "array", "minItems": 1, "items": objective},
                    "timeWindows": {"type": "array", "maxItems": 1, "items": _object(
                        {"count": {"type": "integer", "minimum": 1}, "unit": {"type": "string"}},
                        ("count", "unit"), strict=False)}},
                   ("service", "objectives"), strict=False)
    return {"$schema": DRAFT, "title": "OpenSLO v1alpha SLO (as Sloth reads it)", **_object({
        "apiVersion": {"const": "openslo/v1alpha"}, "kind": {"const": "SLO"},
        "metadata": _object({"name": {"type": "string"}}, ("name",), strict=False),
        "spec": spec}, ("apiVersion", "kind", "metadata", "spec"), strict=False)}


def openslo_v1() -> dict[str, Any]:
    """Any OpenSLO v1 document: the shape only (the loader explains what it cannot honour)."""
    kinds = ["SLO", "SLI", "Service", "DataSource", "AlertPolicy", "AlertCondition",
             "AlertNotificationTarget"]
    return {"$schema": DRAFT, "title": "OpenSLO v1 document", **_object({
        "apiVersion": {"const": "openslo/v1"}, "kind": {"enum": kinds},
        "metadata": _object({"name": {"type": "string", "minLength": 1}}, ("name",),
                            strict=False),
        "spec": {"type": "object"}}, ("apiVersion", "kind", "metadata", "spec"), strict=False)}


def alert_windows() -> dict[str, Any]:
    window = _object({"errorBudgetPercent": {"type": "number", "exclusiveMinimum": 0},
                      "shortWindow": DURATION, "longWindow": DURATION},
                     ("errorBudgetPercent", "shortWindow", "longWindow"), strict=False)
    pair = _object({"quick": window, "slow": window}, ("quick", "slow"), strict=False)
    return {"$schema": DRAFT, "title": "Sloth AlertWindows (sloth.slok.dev/v1)", **_object({
        "apiVersion": {"const": "sloth.slok.dev/v1"}, "kind": {"const": "AlertWindows"},
        "spec": _object({"sloPeriod": DURATION, "page": pair, "ticket": pair},
                        ("sloPeriod", "page", "ticket"), strict=False)},
        ("apiVersion", "kind", "spec"), strict=False)}


SCHEMAS = {
    "jupyter-slo-v1": native,
    "sloth-prometheus-v1": sloth_v1,
    "sloth-k8s-v1": sloth_k8s,
    "openslo-v1alpha": openslo_v1alpha,
    "openslo-v1": openslo_v1,
    "sloth-alert-windows": alert_windows,
}


def text(name: str) -> str:
    return json.dumps(SCHEMAS[name](), indent=2, sort_keys=True) + "\n"


def write_all(directory: Path = SCHEMA_DIR) -> None:
    directory.mkdir(exist_ok=True)
    for name in SCHEMAS:
        (directory / f"{name}.schema.json").write_text(text(name), encoding="utf-8")


if __name__ == "__main__":
    if sys.argv[1:] == ["--write"]:
        write_all()
    else:
        print("usage: python -m slo.schema --write", file=sys.stderr)
        sys.exit(2)
