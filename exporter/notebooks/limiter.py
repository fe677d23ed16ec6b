"""Bounds on look-ups after save events (pure values, the caller's clock).

`TokenBucket` allows `rate` look-ups a second with bursts up to `burst`; `Pending` holds at
most `capacity` distinct paths waiting for a token (a path saved again while it waits is
coalesced into the one look-up), and refuses the rest, which the caller counts as dropped
events. Autosave every two minutes on a few hundred open notebooks stays well below the
defaults; a flood of forged events costs at most `rate` requests a second.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

RATE = 2.0  # look-ups a second, per server
BURST = 10.0
CAPACITY = 64  # distinct paths waiting


@dataclass(frozen=True, slots=True)
class TokenBucket:
    rate: float = RATE
    burst: float = BURST
    tokens: float | None = None  # None: full (`burst`)
    at: float | None = None  # time of the last refill

    def refill(self, now: float) -> TokenBucket:
        if self.tokens is None or self.at is None:
            return replace(self, tokens=self.burst if self.tokens is None else self.tokens,
                           at=now)
        tokens = min(self.burst, self.tokens + max(0.0, now - self.at) * self.rate)
        return replace(self, tokens=tokens, at=now)

    def take(self, now: float) -> tuple[TokenBucket, float]:
        """(bucket, 0) with a token taken, or (bucket, seconds to wait) when none is left."""
        bucket = self.refill(now)
        tokens = bucket.tokens or 0.0
        if tokens >= 1.0:
            return replace(bucket, tokens=tokens - 1.0), 0.0
        return bucket, (1.0 - tokens) / bucket.rate


@dataclass(frozen=True, slots=True)
class Pending:
    paths: tuple[str, ...] = ()
    capacity: int = CAPACITY

    def offer(self, path: str) -> tuple[Pending, bool]:
        """(pending, accepted): a path already waiting is accepted without a second entry."""
        if path in self.paths:
            return self, True
        if len(self.paths) >= self.capacity:
            return self, False
        return replace(self, paths=(*self.paths, path)), True

    def pop(self) -> tuple[Pending, str | None]:
        if not self.paths:
            return self, None
        return replace(self, paths=self.paths[1:]), self.paths[0]
