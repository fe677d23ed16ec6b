"""Small PromQL builders shared by the dashboards: selectors over dashboard variables.

Multi-value variables are matched with `=~"$var"`; their "All" value is `.*`. Names always
come from `slo.naming`, `exporter.naming` or `dashboards.metrics`, never from a literal here.
"""

from __future__ import annotations

from slo import naming as slo_naming

SLO_KEYS = (slo_naming.LABEL_ID, slo_naming.LABEL_SERVICE, slo_naming.LABEL_SLO)
RATE_INTERVAL = "$__rate_interval"
RANGE = "$__range"


def var(name: str) -> str:
    return f"${name}"


def matches(label: str, variable: str) -> str:
    return f'{label}=~"{var(variable)}"'


def equals(label: str, value: str) -> str:
    return f'{label}="{value}"'


def selector(*matchers: str) -> str:
    return "{" + ", ".join(matchers) + "}" if matchers else ""


def by(*labels: str) -> str:
    return f"by ({', '.join(labels)})"


def slo_by() -> str:
    """Grouping that keeps an SLO's identity and nothing else, so queries join in a table."""
    return by(*SLO_KEYS)


def on_id() -> str:
    return f"on({slo_naming.LABEL_ID})"


def or_zero(expr: str, total: str) -> str:
    """`expr`, or 0 for every series of `total` it lacks: "no failures" reads 0, not No data."""
    return f"({expr})\nor\n(0 * ({total}))"
