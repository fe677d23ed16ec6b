"""Names the dashboards query besides those of `exporter/naming.py` and `slo/naming.py`.

The exporter's per-kernel, GPU and node names come from `exporter/naming.py` (re-exported
here under the names the dashboard modules use); what remains are names that are not ours:
JupyterHub's own active-user gauge and Prometheus' own series.
"""

from __future__ import annotations

from exporter import naming as _exporter

KERNEL_MEMORY_BYTES = _exporter.KERNEL_MEMORY.name
KERNEL_CPU_SECONDS = _exporter.KERNEL_CPU.name
IDLE_KERNEL_MEMORY = _exporter.IDLE_KERNEL_MEMORY.name
LABEL_KERNEL_ID = _exporter.LABEL_KERNEL_ID
GPU_UTILIZATION = _exporter.GPU_UTILIZATION.name
GPU_MEMORY_USED = _exporter.GPU_MEMORY_USED.name
GPU_MEMORY_TOTAL = _exporter.GPU_MEMORY_TOTAL.name
KERNEL_GPU_MEMORY = _exporter.KERNEL_GPU_MEMORY.name
LABEL_GPU = _exporter.LABEL_GPU
LABEL_UUID = _exporter.LABEL_UUID
NODE_MEMORY_TOTAL = _exporter.NODE_MEMORY_TOTAL.name
NODE_MEMORY_AVAILABLE = _exporter.NODE_MEMORY_AVAILABLE.name
NODE_CPU_SECONDS = _exporter.NODE_CPU.name
NODE_PRESSURE_CPU_WAITING = _exporter.NODE_PRESSURE_CPU_WAITING.name
NODE_PRESSURE_MEMORY_WAITING = _exporter.NODE_PRESSURE_MEMORY_WAITING.name
LABEL_MODE = _exporter.LABEL_MODE

# --- JupyterHub's own metric (Hub mode) ------------------------------------------------
HUB_ACTIVE_USERS = "jupyterhub_active_users"
HUB_LABEL_PERIOD = "period"

# --- Prometheus' own series ------------------------------------------------------------
ALERTS = "ALERTS"
ALERT_STATE = "alertstate"
ALERT_NAME = "alertname"
UP = "up"

