"""What the notebook collectors render, per target: frozen values and pure updates.

`largest` exists only with `notebook_paths` on (the caller passes `keep_paths`): the
`LARGEST_KEPT` biggest notebooks by their latest save, each forgotten `LARGEST_TTL` seconds
after its last save, so a deleted or shrunk notebook leaves the list. Without that collector
no path is kept anywhere once its look-up is done.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from exporter import naming
from exporter.histogram import Histogram

LARGEST_KEPT = 10
LARGEST_TTL = 24 * 3600.0


@dataclass(frozen=True, slots=True)
class Largest:
    path: str
    size: float
    at: float


@dataclass(frozen=True, slots=True)
class NotebookStats:
    sizes: Histogram = field(default_factory=lambda: Histogram(naming.NOTEBOOK_SIZE_BUCKETS))
    lookups: Mapping[str, int] = field(default_factory=dict)  # by naming.LOOKUP_OUTCOMES
    findings: Mapping[str, int] = field(default_factory=dict)  # by rule label
    largest: tuple[Largest, ...] = ()


@dataclass(frozen=True, slots=True)
class Lookup:
    """One look-up's outcome. `path` is the server's own path of the notebook, only for the
    opt-in largest list; `findings` is None when the content was not scanned."""

    outcome: str
    size: float | None = None
    path: str = ""
    findings: Mapping[str, int] | None = None


def _largest(current: tuple[Largest, ...], path: str, size: float,
             now: float) -> tuple[Largest, ...]:
    kept = [e for e in current if e.path != path and now - e.at <= LARGEST_TTL]
    kept.append(Largest(path, size, now))
    kept.sort(key=lambda e: (-e.size, e.path))
    return tuple(kept[:LARGEST_KEPT])


def record(stats: NotebookStats, lookup: Lookup, now: float,
           keep_paths: bool = False) -> NotebookStats:
    lookups = dict(stats.lookups)
    lookups[lookup.outcome] = lookups.get(lookup.outcome, 0) + 1
    stats = replace(stats, lookups=lookups)
    if lookup.size is not None:
        stats = replace(stats, sizes=stats.sizes.observe(lookup.size))
        if keep_paths and lookup.path:
            stats = replace(stats, largest=_largest(stats.largest, lookup.path, lookup.size,
                                                    now))
    if lookup.findings:
        findings = dict(stats.findings)
        for rule, count in lookup.findings.items():
            findings[rule] = findings.get(rule, 0) + count
        stats = replace(stats, findings=findings)
    return stats


def current_largest(stats: NotebookStats, now: float) -> tuple[Largest, ...]:
    return tuple(e for e in stats.largest if now - e.at <= LARGEST_TTL)
