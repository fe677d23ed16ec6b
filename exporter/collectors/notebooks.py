"""Notebook hygiene: sizes (`notebook_size`), the largest by path (`notebook_paths`, opt-in)
and secret findings by rule (`notebook_secrets`, opt-in). Each target gets its histogram,
every look-up outcome and every rule's counter from the start, at zero, so `increase()` has
a base. The look-up outcomes are written by `notebook_size`.
"""

from __future__ import annotations

from prometheus_client.core import Metric

from exporter import naming
from exporter.collectors.base import ExporterView, Rendered, add, add_histogram, family
from exporter.notebooks.scan import rule_labels
from exporter.notebooks.stats import current_largest


def _lookups(view: ExporterView) -> Metric:
    lookups = family(naming.NOTEBOOK_LOOKUPS)
    for target in view.targets:
        for outcome in naming.LOOKUP_OUTCOMES:
            add(lookups, (target.name, outcome), target.notebooks.lookups.get(outcome, 0))
    return lookups


def render_sizes(view: ExporterView) -> Rendered:
    sizes = family(naming.NOTEBOOK_SIZE)
    for target in view.targets:
        add_histogram(sizes, (target.name,), target.notebooks.sizes)
    return Rendered((sizes, _lookups(view)))


def render_paths(view: ExporterView) -> Rendered:
    largest = family(naming.NOTEBOOK_LARGEST)
    for target in view.targets:
        for entry in current_largest(target.notebooks, view.now):
            add(largest, (target.name, entry.path), entry.size)
    return Rendered((largest,))


def render_secrets(view: ExporterView) -> Rendered:
    findings = family(naming.SECRET_FINDINGS)
    rules = rule_labels()
    for target in view.targets:
        counts = target.notebooks.findings
        for rule in sorted({*rules, *counts}):
            add(findings, (target.name, rule), counts.get(rule, 0))
    return Rendered((findings,))

