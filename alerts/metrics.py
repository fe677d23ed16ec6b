"""Metric names the operational alerts read that `exporter/naming.py` does not define (yet).

GPU and node names come from `exporter/naming.py`; only the two below the MISSING marker are
stand-ins until the exporter defines them (then import them from there and delete them here):
- `GPU_XID_ERRORS` follows research/gpu-node.md §8 (an optional NVML event thread);
- `PROBE_KERNELS` is a proposal: probe kernels the exporter created that still exist on a
  target (the exporter knows them; `jupyter_kernels` leaves them out on purpose).
"""

from __future__ import annotations

from exporter import naming as x

GPU_TEMPERATURE = x.GPU_TEMPERATURE.name
GPU_ECC_ERRORS = x.GPU_ECC_ERRORS.name
NODE_MEMORY_AVAILABLE = x.NODE_MEMORY_AVAILABLE.name
NODE_MEMORY_TOTAL = x.NODE_MEMORY_TOTAL.name
NODE_PRESSURE_MEMORY_WAITING = x.NODE_PRESSURE_MEMORY_WAITING.name
LABEL_GPU = x.LABEL_GPU
LABEL_UUID = x.LABEL_UUID
LABEL_ERROR_TYPE = x.LABEL_ERROR_TYPE
ECC_UNCORRECTED = x.ECC_UNCORRECTED

# --- MISSING FROM exporter/naming.py ------------------------------------------------------
GPU_XID_ERRORS = "jupyter_gpu_xid_errors_total"
PROBE_KERNELS = "jupyter_probe_kernels"

# --- Prometheus' own series ------------------------------------------------------------------
UP = "up"
LABEL_JOB = "job"
LABEL_INSTANCE = "instance"

MISSING_FROM_EXPORTER = (GPU_XID_ERRORS, PROBE_KERNELS)
