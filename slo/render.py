"""Rule files as text: Prometheus rule files and prometheus-operator PrometheusRule objects.

Rendering is separate from generation (generators return `slo.rules` values) and from writing
(`slo.output` writes atomically). The YAML dialect reproduces Go's yaml.v2 as Sloth emits it:
literal blocks for multi-line strings, double quotes for strings YAML would read as another
type, width 80, no aliases. Keys keep the order given, except in PrometheusRule objects, which
Sloth serialises through JSON and so sorts alphabetically.

That dialect is defined by PyYAML's CSafeDumper with the string representer below
(`libyaml_dump`); `slo.yamlemit` writes the same bytes about ten times faster and is used
first, falling back to PyYAML for the values it does not cover.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import yaml

from slo import yamlemit
from slo.rules import Rule, RuleGroup

try:
    from yaml import CSafeDumper as _BaseDumper
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeDumper as _BaseDumper  # type: ignore[assignment]


class _Dumper(_BaseDumper):  # type: ignore[misc, valid-type]
    def ignore_aliases(self, data: Any) -> bool:
        return True


def _represent_str(dumper: yaml.SafeDumper, text: str) -> yaml.Node:
    if "\n" in text:
        return dumper.represent_scalar("tag:yaml.org,2002:str", text, style="|")
    # Implicit types are keyed by the first character; most strings start with one that has
    # no resolver at all, and skipping the full resolve halves the time to dump 20k rules.
    if text and text[0] not in dumper.yaml_implicit_resolvers:
        return dumper.represent_scalar("tag:yaml.org,2002:str", text)
    implicit = dumper.resolve(yaml.ScalarNode, text, (True, False))
    if implicit != "tag:yaml.org,2002:str":
        return dumper.represent_scalar("tag:yaml.org,2002:str", text, style='"')
    return dumper.represent_scalar("tag:yaml.org,2002:str", text)


_Dumper.add_representer(str, _represent_str)


def dump(data: Any, *, sort_keys: bool = False) -> str:
    """YAML text for dicts, lists and strings (None, bools and ints too) in our dialect."""
    try:
        return yamlemit.dump(data, sort_keys=sort_keys)
    except yamlemit.Unsupported:
        return libyaml_dump(data, sort_keys=sort_keys)


def libyaml_dump(data: Any, *, sort_keys: bool = False) -> str:
    """The dialect's reference writer (PyYAML): `yamlemit`'s fallback and its test oracle."""
    return yaml.dump(data, Dumper=_Dumper, sort_keys=sort_keys, width=80, allow_unicode=True,
                     default_flow_style=False)


def rule_dict(rule: Rule) -> dict[str, Any]:
    """A rule in Prometheus' field order, empty fields left out."""
    out: dict[str, Any] = {}
    if rule.record:
        out["record"] = rule.record
    if rule.alert:
        out["alert"] = rule.alert
    out["expr"] = rule.expr
    if rule.for_:
        out["for"] = rule.for_
    if rule.keep_firing_for:
        out["keep_firing_for"] = rule.keep_firing_for
    if rule.labels:
        out["labels"] = dict(sorted(rule.labels.items()))
    if rule.annotations:
        out["annotations"] = dict(sorted(rule.annotations.items()))
    return out


def groups_dict(groups: Iterable[RuleGroup]) -> list[dict[str, Any]]:
    out = []
    for group in groups:
        item: dict[str, Any] = {"name": group.name}
        if group.interval:
            item["interval"] = group.interval
        item["rules"] = [rule_dict(r) for r in group.rules]
        out.append(item)
    return out


def rule_file(groups: Iterable[RuleGroup]) -> str:
    return dump({"groups": groups_dict(groups)})


def prometheus_rule(groups: Iterable[RuleGroup], name: str, namespace: str,
                    labels: dict[str, str], annotations: dict[str, str]) -> str:
    metadata: dict[str, Any] = {"name": name}
    if namespace:
        metadata["namespace"] = namespace
    if labels:
        metadata["labels"] = labels
    if annotations:
        metadata["annotations"] = annotations
    body = {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": metadata,
        "spec": {"groups": groups_dict(groups)},
    }
    return dump(body, sort_keys=True)
