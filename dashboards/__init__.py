"""jupyter-slo: dashboards."""
