"""Panels as grafanalib objects, each with what it needs to show data, laid out on the grid.

Conventions: a `Cell` is one panel before layout (no id, no position) plus its size and its
`needs`, the parts of a deployment without which it shows no data (a GPU, Hub mode, the
per-kernel collector...). `layout()` flows cells left to right over Grafana's 24 columns and
numbers them; nothing else sets ids or positions. Every builder takes a unit and a description
because a panel without them leaves the reader guessing what a number means and what to do.
Values that grafanalib's validators reject or writes in the old model (float min/max, modern
heatmap options) go through `extraJson`; `dashboards.modern` cleans what grafanalib writes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import attr
from grafanalib import core as g

# What a panel needs beyond a running exporter and the generated SLO rules.
NEED_GPU = "gpu"                # NVIDIA GPUs and the GPU collector
NEED_HUB = "hub"                # JupyterHub fleet mode (Hub's own metrics scraped)
NEED_PER_KERNEL = "per_kernel"  # the opt-in per-kernel resource collector
NEED_NODE = "node"              # the node collector (single-server mode, demo)
NEED_FIRING = "firing"          # an alert is firing right now
NEED_EVENTS_SLI = "events_sli"  # the SLO is an events SLI generated in default mode
NEED_NOTEBOOK_PATHS = "notebook_paths"  # the opt-in notebook_paths collector (path label)
ALL_NEEDS = frozenset({NEED_GPU, NEED_HUB, NEED_PER_KERNEL, NEED_NODE, NEED_FIRING,
                       NEED_EVENTS_SLI, NEED_NOTEBOOK_PATHS})

GRID_COLUMNS = 24
DATASOURCE = "${datasource}"
TIME_SERIES, TABLE, HEATMAP = "time_series", "table", "heatmap"


@dataclass(frozen=True)
class Query:
    expr: str
    legend: str = ""
    instant: bool = False
    format: str = TIME_SERIES


@dataclass(frozen=True)
class Step:
    """A threshold step: `value` None is the base step (Grafana's -Infinity)."""

    color: str
    value: float | None = None


@dataclass(frozen=True)
class Cell:
    panel: g.Panel
    width: int
    height: int
    needs: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        unknown = self.needs - ALL_NEEDS
        if unknown:
            raise ValueError(f"panel {self.panel.title!r}: unknown needs {sorted(unknown)}")
        if not self.panel.description:
            raise ValueError(f"panel {self.panel.title!r} has no description")


@dataclass(frozen=True)
class Row:
    title: str


@dataclass(frozen=True)
class Layout:
    panels: tuple[g.Panel, ...]
    needs: Mapping[str, frozenset[str]] = field(default_factory=dict)


def targets(queries: Sequence[Query]) -> list[g.Target]:
    return [g.Target(expr=q.expr, legendFormat=q.legend, refId=chr(ord("A") + i),
                     instant=q.instant, format=q.format, datasource=DATASOURCE)
            for i, q in enumerate(queries)]


def _steps(steps: Sequence[Step]) -> list[g.Threshold]:
    return [g.Threshold(s.color, i, 0.0 if s.value is None else float(s.value))
            for i, s in enumerate(steps)]


def _defaults(extra: Mapping[str, Any]) -> dict[str, Any]:
    """fieldConfig.defaults additions, with None left out (grafanalib merges them in)."""
    return {k: v for k, v in extra.items() if v is not None}


def timeseries(title: str, description: str, unit: str, queries: Sequence[Query], *,
               needs: Iterable[str] = (), width: int = 12, height: int = 8,
               thresholds: Sequence[Step] = (), threshold_style: str = "off",
               min: float | None = None, max: float | None = None, stack: bool = False,
               draw: str = "line", fill: int = 10,
               overrides: Sequence[Mapping[str, Any]] = ()) -> Cell:
    panel = g.TimeSeries(
        title=title, description=description, unit=unit, targets=targets(queries),
        dataSource=DATASOURCE, thresholds=_steps(thresholds or [Step("green")]),
        thresholdsStyleMode=threshold_style, drawStyle=draw, fillOpacity=fill,
        stacking={"mode": "normal", "group": "A"} if stack else {"mode": "none", "group": "A"},
        legendDisplayMode="table", legendPlacement="bottom", legendCalcs=["lastNotNull", "max"],
        tooltipMode="multi", tooltipSort="desc", overrides=list(overrides),
        extraJson={"fieldConfig": {"defaults": _defaults({"min": min, "max": max})}})
    return Cell(panel, width, height, frozenset(needs))


def stat(title: str, description: str, unit: str, queries: Sequence[Query], *,
         needs: Iterable[str] = (), width: int = 6, height: int = 4,
         thresholds: Sequence[Step] = (), mappings: Sequence[Mapping[str, Any]] = (),
         decimals: int | None = None, graph: bool = False, text_mode: str = "auto",
         color_mode: str = "value", no_value: str = "No data") -> Cell:
    panel = g.Stat(
        title=title, description=description, format=unit, targets=targets(queries),
        dataSource=DATASOURCE, thresholds=_steps(thresholds or [Step("green")]),
        mappings=list(mappings), decimals=decimals, graphMode="area" if graph else "none",
        textMode=text_mode, colorMode=color_mode, reduceCalc="lastNotNull", noValue=no_value,
        color={"mode": "thresholds"})
    return Cell(panel, width, height, frozenset(needs))


def table(title: str, description: str, unit: str, queries: Sequence[Query], *,
          needs: Iterable[str] = (), width: int = 24, height: int = 8,
          overrides: Sequence[Mapping[str, Any]] = (),
          transformations: Sequence[Mapping[str, Any]] = (),
          sort_by: Sequence[tuple[str, bool]] = (),
          thresholds: Sequence[Step] = ()) -> Cell:
    panel = g.Table(
        title=title, description=description, unit=unit, targets=targets(queries),
        dataSource=DATASOURCE, overrides=list(overrides),
        transformations=list(transformations), thresholds=_steps(thresholds or [Step("green")]),
        sortBy=[g.TableSortByField(displayName=name, desc=desc) for name, desc in sort_by],
        filterable=True)
    return Cell(panel, width, height, frozenset(needs))


def heatmap(title: str, description: str, unit: str, queries: Sequence[Query], *,
            needs: Iterable[str] = (), width: int = 12, height: int = 8) -> Cell:
    """A modern (Grafana 9+) heatmap of pre-bucketed Prometheus histogram series."""
    options = {
        "calculate": False,
        "cellGap": 1,
        "color": {"exponent": 0.5, "fill": "dark-orange", "mode": "scheme", "reverse": False,
                  "scale": "exponential", "scheme": "Oranges", "steps": 64},
        "exemplars": {"color": "rgba(255,0,255,0.7)"},
        "filterValues": {"le": 1e-9},
        "legend": {"show": True},
        "rowsFrame": {"layout": "auto"},
        "tooltip": {"mode": "single", "showColorScale": False, "yHistogram": True},
        "yAxis": {"axisPlacement": "left", "reverse": False, "unit": unit},
    }
    panel = g.Heatmap(
        title=title, description=description, targets=targets(queries), dataSource=DATASOURCE,
        dataFormat="tsbuckets",
        extraJson={"options": options,
                   "fieldConfig": {"defaults": {"unit": unit, "custom": {
                       "hideFrom": {"legend": False, "tooltip": False, "viz": False},
                       "scaleDistribution": {"type": "linear"}}}, "overrides": []}})
    return Cell(panel, width, height, frozenset(needs))


def layout(items: Sequence[Cell | Row]) -> Layout:
    """Flow cells over the grid, a row title starting a new line; ids count from 1."""
    panels: list[g.Panel] = []
    needs: dict[str, frozenset[str]] = {}
    x = y = line_height = 0
    for item in items:
        if isinstance(item, Row):
            if x:
                y, x, line_height = y + line_height, 0, 0
            panels.append(g.RowPanel(title=item.title, id=len(panels) + 1,
                                     gridPos=g.GridPos(h=1, w=GRID_COLUMNS, x=0, y=y)))
            y += 1
            continue
        if not 0 < item.width <= GRID_COLUMNS:
            raise ValueError(f"panel {item.panel.title!r}: width {item.width}")
        if x + item.width > GRID_COLUMNS:
            y, x, line_height = y + line_height, 0, 0
        if item.panel.title in needs:
            raise ValueError(f"two panels are titled {item.panel.title!r}")
        needs[item.panel.title] = item.needs
        panels.append(attr.evolve(item.panel, id=len(panels) + 1,
                                  gridPos=g.GridPos(h=item.height, w=item.width, x=x, y=y)))
        x += item.width
        line_height = max(line_height, item.height)
    return Layout(tuple(panels), needs)
