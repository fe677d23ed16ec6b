"""jupyter-slo: Grafana dashboards built with grafanalib from the SLO model and metric names.

`build_dashboards()` is the entry point `jupyter-slo generate` calls; `dashboards.cli` adds
`jupyter-slo dashboards push`.
"""

from dashboards.build import build_dashboards

__all__ = ["build_dashboards"]
