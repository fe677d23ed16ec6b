"""Pure renderers: exporter state in, prometheus_client metric families out."""
