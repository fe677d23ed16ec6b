"""Problems found in spec files, each tied to the place in the file that caused it.

Every loader and check returns problems instead of raising, so one run reports all of them.
`str(problem)` is the `FILE:LINE:COL: message` line users see on stderr.
"""

from __future__ import annotations

from dataclasses import dataclass

from slo.yamlsource import Location


@dataclass(frozen=True, order=True)
class Problem:
    location: Location
    message: str
    warning: bool = False

    def __str__(self) -> str:
        prefix = "warning: " if self.warning else ""
        return f"{self.location}: {prefix}{self.message}"


def errors(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if not p.warning]
