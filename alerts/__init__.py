"""jupyter-slo: alerts."""
