"""Metric names the operational alerts read that `exporter/naming.py` does not define (yet).

Everything below the MISSING markers is a stand-in until its owner defines it: when
`exporter/naming.py` grows one of these names, import it from there and delete it here.
Names the dashboards already hold as stand-ins come from `dashboards.metrics`, so no name is
typed twice; the GPU error and temperature families follow research/gpu-node.md §8.
`PROBE_KERNELS` is a proposal: probe kernels the exporter created that still exist on a
target (the exporter knows them; `jupyter_kernels` leaves them out on purpose).
"""

from __future__ import annotations

from dashboards.metrics import (
    LABEL_GPU,
    LABEL_UUID,
    NODE_MEMORY_AVAILABLE,
    NODE_MEMORY_TOTAL,
    NODE_PRESSURE_MEMORY_WAITING,
)

# --- MISSING FROM exporter/naming.py: GPU health (research/gpu-node.md §8) ----------------
GPU_TEMPERATURE = "jupyter_gpu_temperature_celsius"
GPU_ECC_ERRORS = "jupyter_gpu_ecc_errors_total"
GPU_XID_ERRORS = "jupyter_gpu_xid_errors_total"
LABEL_ERROR_TYPE = "error_type"
ECC_UNCORRECTED = "uncorrected"

# --- MISSING FROM exporter/naming.py: probe hygiene (proposed, see module docstring) -------
PROBE_KERNELS = "jupyter_probe_kernels"

# --- Prometheus' own series ------------------------------------------------------------------
UP = "up"
LABEL_JOB = "job"
LABEL_INSTANCE = "instance"

MISSING_FROM_EXPORTER = (GPU_TEMPERATURE, GPU_ECC_ERRORS, GPU_XID_ERRORS, PROBE_KERNELS,
                         NODE_MEMORY_AVAILABLE, NODE_MEMORY_TOTAL, NODE_PRESSURE_MEMORY_WAITING)

__all__ = ["ECC_UNCORRECTED", "GPU_ECC_ERRORS", "GPU_TEMPERATURE", "GPU_XID_ERRORS",
           "LABEL_ERROR_TYPE", "LABEL_GPU", "LABEL_INSTANCE", "LABEL_JOB", "LABEL_UUID",
           "MISSING_FROM_EXPORTER", "NODE_MEMORY_AVAILABLE", "NODE_MEMORY_TOTAL",
           "NODE_PRESSURE_MEMORY_WAITING", "PROBE_KERNELS", "UP"]
