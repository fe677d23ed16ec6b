"""Latency distribution and the final report of a load test (pure).

Percentiles are nearest-rank over the successful starts only: a failure has no meaningful
latency and is counted by reason instead. Seconds are printed with millisecond precision.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

QUANTILES = (0.5, 0.9, 0.95, 0.99)


def percentile(sorted_values: Sequence[float], q: float) -> float:
    if not sorted_values:
        raise ValueError("no values")
    rank = max(1, math.ceil(q * len(sorted_values)))
    return sorted_values[rank - 1]


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    failures: Counter[str] = field(default_factory=Counter)
    left_behind: int = 0

    @property
    def attempts(self) -> int:
        return len(self.latencies) + sum(self.failures.values())

    def summary(self) -> dict[str, Any]:
        ordered = sorted(self.latencies)
        dist: dict[str, float] = {}
        if ordered:
            dist = {"min": ordered[0], **{f"p{round(q * 100)}": percentile(ordered, q)
                                          for q in QUANTILES},
                    "max": ordered[-1], "mean": sum(ordered) / len(ordered)}
        return {"attempts": self.attempts, "ok": len(ordered),
                "failed": sum(self.failures.values()), "failures": dict(self.failures),
                "startup_seconds": {k: round(v, 6) for k, v in dist.items()},
                "kernels_left": self.left_behind}


def table(summary: dict[str, Any], concurrency: int, elapsed: float) -> str:
    lines = [f"kernel starts: {summary['attempts']} in {elapsed:.1f}s at concurrency "
             f"{concurrency}: {summary['ok']} ok, {summary['failed']} failed, "
             f"{summary['kernels_left']} kernels left behind", ""]
    dist = summary["startup_seconds"]
    if dist:
        names = list(dist)
        lines.append("startup seconds  " + "  ".join(f"{k:>7}" for k in names))
        lines.append("                 " + "  ".join(f"{dist[k]:7.3f}" for k in names))
    else:
        lines.append("startup seconds  (no successful start)")
    if summary["failures"]:
        lines += ["", "failures by reason"]
        lines += [f"  {reason:<24} {count:>5}"
                  for reason, count in sorted(summary["failures"].items())]
    return "\n".join(lines) + "\n"
