"""promtool unit tests generated for every SLO: do its alerts fire when, and only when, due?

For each SLO with alerts, and each alert tier that can fire, two scenarios feed every alert
window's error ratio (`slo:sli_error:ratio_rate<w>`) at a constant value: 10 % above the
tier's threshold, and 10 % below it. With every window at the same value, a tier fires exactly
when the value exceeds its threshold, so the expected alerts follow from the thresholds alone:
the test checks the generated thresholds, severities, labels and annotations, whatever the
SLI's own query is. (It cannot tell which window a tier reads: all windows hold one value.)
An SLO with `no_data` also gets a scenario with no data at all. Expected labels and
annotations are read from the rendered alert rules (plugins and link annotations may add to
them); which alerts fire follows from the thresholds alone.

Feeding the recorded ratios directly is safe: without raw input series the SLI rules record
nothing, so no fed series collides with a rule's output. Annotations with templates other than
`{{$labels.NAME}}` cannot be predicted here; such an SLO's alert checks leave them out and say
so in a comment.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from slo import duration, naming
from slo.generate.default import decimal_text, error_budget
from slo.model import SLO
from slo.render import rule_dict
from slo.rules import RuleGroup
from slo.windows import AlertWindows

MARGIN = Decimal("0.1")
_LABEL_TEMPLATE = re.compile(r"\{\{ *\$labels\.([a-zA-Z_][a-zA-Z0-9_]*) *\}\}")
_ANY_TEMPLATE = re.compile(r"\{\{")


def _expand(text: str, labels: dict[str, str]) -> str | None:
    expanded = _LABEL_TEMPLATE.sub(lambda m: labels.get(m.group(1), ""), text)
    return None if _ANY_TEMPLATE.search(expanded) else expanded


def _minutes(text: str) -> int:
    return math.ceil(duration.parse(text) / 60_000) if text else 0


AlertRules = dict[tuple[str, str], dict[str, Any]]
_SLO_ID_RE = re.compile(r'sloth_id="([^"]+)"')


def alert_rules(groups: Sequence[RuleGroup]) -> AlertRules:
    """Alert rules of the generated groups by (SLO id, severity); `no data` for no-data ones."""
    out: AlertRules = {}
    for group in groups:
        for rule in group.rules:
            match = _SLO_ID_RE.search(rule.expr) if rule.alert else None
            if match:
                severity = "no data" if rule.expr.startswith("absent(") else (
                    rule.labels.get(naming.LABEL_SEVERITY, ""))
                out[(match.group(1), severity)] = rule_dict(rule)
    return out


def _expected_alert(rule: dict[str, Any], series_labels: dict[str, str]) -> dict[str, Any]:
    labels = {**series_labels, **rule.get("labels", {})}
    annotations = rule.get("annotations", {})
    expanded = {k: _expand(v, labels) for k, v in annotations.items()}
    out: dict[str, Any] = {"exp_labels": labels}
    if all(v is not None for v in expanded.values()):
        out["exp_annotations"] = expanded
    return out


def slo_tests(slo: SLO, windows: AlertWindows, rules: AlertRules) -> list[dict[str, Any]]:
    alerting = slo.alerting
    tiers = [(naming.SEVERITY_PAGE, alerting.page, t) for t in (windows.page_quick,
                                                                 windows.page_slow)]
    tiers += [(naming.SEVERITY_TICKET, alerting.ticket, t) for t in (windows.ticket_quick,
                                                                     windows.ticket_slow)]
    tiers = [(s, a, t) for s, a, t in tiers if not a.disable]
    if not alerting.name or not tiers:
        return []
    budget = error_budget(slo)
    thresholds = [(s, a, t.exact_factor(windows.period_ms) * budget) for s, a, t in tiers]
    alert_windows = windows.sli_windows()[:-1]
    series_labels = {**naming.id_labels(slo.id, slo.service, slo.name), **slo.labels}
    wait = _minutes(alerting.for_) + 2
    ratio_series = [_series(naming.sli_error_ratio(w), {
        **series_labels, naming.LABEL_WINDOW: duration.format_ms(w)}) for w in alert_windows]
    base = windows.page_quick.short_ms
    total_series = _series(naming.sli_total_rate(base), {
        **series_labels, naming.LABEL_WINDOW: duration.format_ms(base)})
    # An alert's expected labels and annotations are the same in every test where it fires.
    expected = {s: _expected_alert(rules[(slo.id, s)], series_labels) for s, _, _ in thresholds
                if (slo.id, s) in rules}
    tests = []
    for severity, _, threshold in thresholds:
        if threshold >= 1:
            continue  # validate warns: this tier can never fire
        for factor, side in ((1 + MARGIN, "above"), (1 - MARGIN, "below")):
            value = min(threshold * factor, Decimal(1))
            firing = sorted({s for s, _, t in thresholds if value > t},
                            key=[naming.SEVERITY_PAGE, naming.SEVERITY_TICKET].index)
            values = f"{decimal_text(value)}+0x{wait + 2}"
            inputs = [{"series": s, "values": values} for s in ratio_series]
            if alerting.min_events:
                inputs.append({"series": total_series,
                               "values": f"{alerting.min_events}+0x{wait + 2}"})
            tests.append({
                "name": f"{slo.id}: error ratio {decimal_text(value)}, {side} the {severity} "
                        f"threshold {decimal_text(threshold)}: fires "
                        f"{', '.join(firing) or 'nothing'}",
                "interval": "1m",
                "input_series": inputs,
                "alert_rule_test": [{
                    "eval_time": f"{wait}m", "alertname": alerting.name,
                    "exp_alerts": [expected[s] for s in firing]}],
            })
    no_data = rules.get((slo.id, "no data"))
    if alerting.no_data and no_data:
        after = _minutes(no_data.get("for", "")) + 1
        tests.append({
            "name": f"{slo.id}: no SLI data at all fires the no-data alert",
            "interval": "1m",
            "input_series": [],
            "alert_rule_test": [{"eval_time": f"{after}m", "alertname": no_data["alert"],
                                 "exp_alerts": [_expected_alert(no_data, {})]}],
        })
    return tests


def _series(name: str, labels: dict[str, str]) -> str:
    return name + naming.selector(labels).replace('", ', '",')


def test_file(slos: Sequence[SLO], catalogue: dict[int, AlertWindows], default_period_ms: int,
              rule_file: str, groups: Sequence[RuleGroup], version: str) -> str:
    """A promtool test file for the SLOs of one rule file (`rule_file`, relative to it;
    `groups`, the rule groups written there).

    Written as JSON, which is YAML too: promtool reads it as such, and JSON is written by C
    code, where a YAML dump of 1,000 SLOs' tests took over ten seconds. One test per line
    keeps it readable and diffable without the (pure-Python) indenting encoder.
    """
    rules = alert_rules(groups)
    tests = [t for slo in slos
             for t in slo_tests(slo, catalogue[slo.period_ms or default_period_ms], rules)]
    head = json.dumps({"rule_files": [rule_file], "evaluation_interval": "1m"},
                      ensure_ascii=False)[:-1]
    lines = ",\n".join(json.dumps(t, ensure_ascii=False) for t in tests)
    return naming.header(version) + head + ', "tests": [\n' + lines + "\n]}\n"
