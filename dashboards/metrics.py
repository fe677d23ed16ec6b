"""Metric and label names the dashboards query that `exporter/naming.py` does not define (yet).

Everything here is a stand-in, clearly marked, until its owner defines it: when
`exporter/naming.py` grows one of these names, import it from there and delete the line here.
- Per-kernel resources, GPU and node metrics: DESIGN.md's catalogue names them (research
  gpu-node.md §8) but no collector exists yet.
- `IDLE_KERNEL_MEMORY` is a proposal: the memory held by the kernels `jupyter_idle_kernels`
  counts, which the exporter can sum when per-kernel collection is on and Prometheus cannot
  (the idle verdict is per kernel inside the exporter, the gauge is per kernelspec).
- `HUB_ACTIVE_USERS` belongs to JupyterHub, not to us (research/jupyter.md, Hub metrics).
"""

from __future__ import annotations

# --- MISSING FROM exporter/naming.py: per-kernel resources (opt-in collector) ----------
KERNEL_MEMORY_BYTES = "jupyter_kernel_memory_bytes"
KERNEL_CPU_SECONDS = "jupyter_kernel_cpu_seconds_total"
IDLE_KERNEL_MEMORY = "jupyter_idle_kernel_memory_bytes"  # proposed, see module docstring
LABEL_KERNEL_ID = "kernel_id"

# --- MISSING FROM exporter/naming.py: GPU --------------------------------------------
GPU_UTILIZATION = "jupyter_gpu_utilization_ratio"
GPU_MEMORY_USED = "jupyter_gpu_memory_used_bytes"
GPU_MEMORY_TOTAL = "jupyter_gpu_memory_total_bytes"
KERNEL_GPU_MEMORY = "jupyter_kernel_gpu_memory_used_bytes"
LABEL_GPU = "gpu"
LABEL_UUID = "uuid"

# --- MISSING FROM exporter/naming.py: node -------------------------------------------
NODE_MEMORY_TOTAL = "jupyter_node_memory_total_bytes"
NODE_MEMORY_AVAILABLE = "jupyter_node_memory_available_bytes"
NODE_CPU_SECONDS = "jupyter_node_cpu_seconds_total"
NODE_PRESSURE_CPU_WAITING = "jupyter_node_pressure_cpu_waiting_seconds_total"
NODE_PRESSURE_MEMORY_WAITING = "jupyter_node_pressure_memory_waiting_seconds_total"
LABEL_MODE = "mode"

# --- JupyterHub's own metric (Hub mode) ------------------------------------------------
HUB_ACTIVE_USERS = "jupyterhub_active_users"
HUB_LABEL_PERIOD = "period"

# --- Prometheus' own series ------------------------------------------------------------
ALERTS = "ALERTS"
ALERT_STATE = "alertstate"
ALERT_NAME = "alertname"
UP = "up"

MISSING_FROM_EXPORTER = (
    KERNEL_MEMORY_BYTES, KERNEL_CPU_SECONDS, IDLE_KERNEL_MEMORY, GPU_UTILIZATION,
    GPU_MEMORY_USED, GPU_MEMORY_TOTAL, KERNEL_GPU_MEMORY, NODE_MEMORY_TOTAL,
    NODE_MEMORY_AVAILABLE, NODE_CPU_SECONDS, NODE_PRESSURE_CPU_WAITING,
    NODE_PRESSURE_MEMORY_WAITING,
)
