"""Prometheus durations (`5m`, `1h30m`, `4w`), parsed to and printed from whole milliseconds.

Printing follows Prometheus' `model.Duration.String()`: years and weeks only when they divide
exactly, then days, hours, minutes, seconds and milliseconds greedily. Rule names, the
`sloth_window` label and range selectors all use this text, so `24h` is written `1d` and `28d`
is written `4w`, exactly as Sloth and Prometheus write them.
"""

from __future__ import annotations

import re
from functools import lru_cache

MS_PER_UNIT = {
    "y": 365 * 24 * 3_600_000,
    "w": 7 * 24 * 3_600_000,
    "d": 24 * 3_600_000,
    "h": 3_600_000,
    "m": 60_000,
    "s": 1000,
    "ms": 1,
}

_DURATION_RE = re.compile(
    r"^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$"
)
_UNIT_ORDER = ("y", "w", "d", "h", "m", "s", "ms")


class DurationError(ValueError):
    """A text that is not a Prometheus duration."""


def parse(text: str) -> int:
    """Milliseconds in a Prometheus duration; `0` alone is allowed, as in Prometheus."""
    if text == "0":
        return 0
    match = _DURATION_RE.match(text)
    if not text or match is None:
        raise DurationError(f'not a valid duration string: "{text}"')
    return sum(
        int(amount) * MS_PER_UNIT[unit]
        for amount, unit in zip(match.groups(), _UNIT_ORDER, strict=True)
        if amount
    )


@lru_cache(maxsize=1024)
def format_ms(ms: int) -> str:
    """Prometheus' canonical text for a duration.

    Cached: rule generation prints the same few windows about a hundred times per SLO.
    """
    if ms == 0:
        return "0s"
    out = []
    for unit in _UNIT_ORDER:
        size = MS_PER_UNIT[unit]
        if unit in ("y", "w") and ms % size:
            continue
        amount, ms = divmod(ms, size)
        if amount:
            out.append(f"{amount}{unit}")
    return "".join(out)


def hours(ms: int) -> float:
    """Go's `time.Duration.Hours()`, the float the burn-rate factors are computed from."""
    return (ms // 3_600_000) + (ms % 3_600_000) / 3_600_000
