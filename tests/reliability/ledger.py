"""The fault ledger: what each reliability test injected, how much the exporter survived, and
what was lost, printed as one table at the end of the session (see conftest.py).

Conventions: one `Fault` row per fault kind and test; a test opens it with `fault(name)` and
bumps `injected` before each injection and `survived` only after every check on that
injection passed, so a failing test still leaves an honest row (injected > survived). `lost`
is a short, measured sentence ("2 polls failed (refused)", "0 series"), never a guess.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class Fault:
    name: str
    injected: int = 0
    survived: int = 0
    losses: list[str] = field(default_factory=list)
    seconds: float = 0.0
    outcome: str = "running"

    def lost(self, what: str) -> None:
        self.losses.append(what)


ROWS: list[Fault] = []


@contextmanager
def fault(name: str) -> Iterator[Fault]:
    row = Fault(name)
    ROWS.append(row)
    started = time.monotonic()
    try:
        yield row
        row.outcome = "ok" if row.survived == row.injected else "partial"
    except BaseException:
        row.outcome = "FAILED"
        raise
    finally:
        row.seconds = time.monotonic() - started


def table(rows: list[Fault]) -> list[str]:
    """Fixed-width lines: fault | injected | survived | outcome | seconds | lost."""
    header = ("fault", "injected", "survived", "outcome", "s", "lost")
    body = [(r.name, str(r.injected), str(r.survived), r.outcome, f"{r.seconds:.0f}",
             "; ".join(r.losses) or "nothing") for r in rows]
    widths = [max(len(line[i]) for line in [header, *body]) for i in range(5)]
    lines = []
    for line in [header, *body]:
        cells = [line[i].ljust(widths[i]) if i == 0 else line[i].rjust(widths[i])
                 for i in range(5)]
        lines.append("  ".join([*cells, line[5]]))
    lines.insert(1, "-" * max(len(x) for x in lines))
    return lines
