"""Default mode's rule groups: one group per SLO, and the slow part with its tiles.

Conventions: input and output are `RuleGroup` values in the order they are written; a rule
"reads" a series when its expression names the metric (a whole PromQL identifier). Nothing
here changes an expression or a label, only which group a rule is in. It runs once per SLO
of every `generate`, so it scans each expression once.

Why two groups instead of Sloth's three plus the tiles:
- Prometheus pays a fixed cost per group evaluation, measured at about a fifth of a millisecond
  (bench/rule_eval.py), as much as a whole window's recording; and in one group the alerts read
  recordings made at the same instant.
- The day-and-longer windows sum tiles, which change once per base window: evaluated every
  cycle they compute the same value again and again. They move into the tiles group, right
  after the tiles, with every rule that reads them (the ticket alerts, the period burn rate
  and the budget remaining), so no rule of another group reads a series that is written only
  once per base window. If a page alert would have to move, nothing moves: pages stay on the
  evaluation interval.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from slo import naming
from slo.rules import Rule, RuleGroup


def default_layout(slo_id: str, parts: list[RuleGroup], extra: list[RuleGroup]) -> list[RuleGroup]:
    """`parts`: the SLI, metadata and alert groups in Sloth's order; `extra`: plugin groups,
    the tiles among them."""
    interval = parts[0].interval
    merged = [r for g in parts if g.interval == interval for r in g.rules]
    own = [g for g in parts if g.interval != interval]
    tiles_name = naming.sli_tiles_group(slo_id)
    tiles = next((g for g in extra if g.name == tiles_name), None)
    if tiles is not None:
        moved = _slow_part(merged, tiles.rules)
        if moved:
            gone = {id(r) for r in moved}
            merged = [r for r in merged if id(r) not in gone]
            extra = [RuleGroup(g.name, (*g.rules, *moved), g.interval) if g is tiles else g
                     for g in extra]
    return [RuleGroup(naming.slo_group(slo_id), tuple(merged), interval), *own, *extra]


def _slow_part(rules: list[Rule], tiles: Iterable[Rule]) -> list[Rule]:
    """The recordings that sum the tiles and every rule that reads them, in order; none if a
    page (or an alert without a ticket severity) is among the readers."""
    slow = {r.record for r in tiles}
    moved: list[Rule] = []
    for rule in rules:  # in order: a rule comes after the recordings it reads
        if not any(name in rule.expr for name in slow) or metric_names(rule.expr).isdisjoint(slow):
            continue  # the substring test first: most rules read none of them
        if rule.alert and rule.labels.get(naming.LABEL_SEVERITY) != naming.SEVERITY_TICKET:
            return []
        moved.append(rule)
        if rule.record:
            slow.add(rule.record)
    return moved


# A PromQL identifier; scanning for whole ones means `x:rate1d` is never found in `x:rate1dx`.
# Words inside label values and strings are found too: at worst that moves a rule that did
# not have to move, or keeps the slow part where it is.
_IDENTIFIER = re.compile(r"[A-Za-z_:][\w:]*")


def metric_names(expr: str) -> set[str]:
    return set(_IDENTIFIER.findall(expr))


def reads(rule: Rule, metric: str) -> bool:
    return metric in metric_names(rule.expr)
