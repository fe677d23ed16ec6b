"""Metric and label names the operational alerts read, under the names `alerts/` uses.

Every exporter name comes from `exporter/naming.py` (the one place metric names live); only
Prometheus' own series (`up` and its target labels) are spelled here, because no module of
ours owns them.
"""

from __future__ import annotations

from exporter import naming as x

GPU_TEMPERATURE = x.GPU_TEMPERATURE.name
GPU_ECC_ERRORS = x.GPU_ECC_ERRORS.name
GPU_XID_ERRORS = x.GPU_XID_ERRORS.name
PROBE_KERNELS = x.PROBE_KERNELS.name
NODE_MEMORY_AVAILABLE = x.NODE_MEMORY_AVAILABLE.name
NODE_MEMORY_TOTAL = x.NODE_MEMORY_TOTAL.name
NODE_PRESSURE_MEMORY_WAITING = x.NODE_PRESSURE_MEMORY_WAITING.name
LABEL_GPU = x.LABEL_GPU
LABEL_UUID = x.LABEL_UUID
LABEL_ERROR_TYPE = x.LABEL_ERROR_TYPE
ECC_UNCORRECTED = x.ECC_UNCORRECTED

# --- Prometheus' own series ------------------------------------------------------------------
UP = "up"
LABEL_JOB = "job"
LABEL_INSTANCE = "instance"
