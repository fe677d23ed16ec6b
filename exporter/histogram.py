"""A cumulative-bucket histogram as a frozen value (collectors render it; updates are pure)."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, replace


@dataclass(frozen=True, slots=True)
class Histogram:
    """Cumulative-bucket histogram value; `counts[i]` is observations <= buckets[i]."""

    buckets: tuple[float, ...]
    counts: tuple[int, ...] = ()
    total: int = 0
    sum: float = 0.0

    def observe(self, value: float) -> Histogram:
        counts = self.counts or (0,) * len(self.buckets)
        first = bisect.bisect_left(self.buckets, value)
        counts = tuple(c + 1 if i >= first else c for i, c in enumerate(counts))
        return replace(self, counts=counts, total=self.total + 1, sum=self.sum + value)

    def cumulative(self) -> list[tuple[str, float]]:
        counts = self.counts or (0,) * len(self.buckets)
        pairs = [(repr(float(b)), float(c)) for b, c in zip(self.buckets, counts, strict=True)]
        return [*pairs, ("+Inf", float(self.total))]
