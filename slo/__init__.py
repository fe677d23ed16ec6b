"""jupyter-slo: slo."""
