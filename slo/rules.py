"""Prometheus rules as values: what generators produce and renderers print.

A rule is either a recording rule (`record`) or an alerting rule (`alert`); empty fields are
left out when rendered. `SLORules` keeps an SLO's rules in Sloth's three groups (SLI,
metadata, alerts) plus any extra groups plugins add, because plugins edit them group by group;
default mode writes them out in another layout (`one_group`, slo/generate/layout.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace


@dataclass(frozen=True)
class Rule:
    expr: str
    record: str = ""
    alert: str = ""
    for_: str = ""
    keep_firing_for: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)

    def with_labels(self, extra: dict[str, str]) -> Rule:
        return replace(self, labels={**self.labels, **extra})


@dataclass(frozen=True)
class RuleGroup:
    name: str
    rules: tuple[Rule, ...]
    interval: str = ""


@dataclass(frozen=True)
class SLORules:
    sli: tuple[Rule, ...] = ()
    metadata: tuple[Rule, ...] = ()
    alerts: tuple[Rule, ...] = ()
    extra: tuple[RuleGroup, ...] = ()
    sli_interval: str = ""
    metadata_interval: str = ""
    alerts_interval: str = ""
    # Default mode: write the three in one group where their intervals agree (see
    # `chain.slo_groups`); Sloth's layout keeps three.
    one_group: bool = False
