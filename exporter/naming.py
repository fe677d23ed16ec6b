"""Every metric name, label name, label value set and help text the exporter emits.

Conventions (DESIGN.md "Exporter metrics"):
- prefix `jupyter_`, never `jupyter_server_*` (Jupyter Server's own namespace);
- base units; counters carry `_total` in the name as written here, the name PromQL uses
  (prometheus_client strips it for the family and writes it back on the sample);
- no credentials, notebook paths or user file names in any label;
- `alerts/`, `dashboards/` and `slo/` import these constants; a metric name typed anywhere
  else is a bug.

Each metric is one `MetricSpec`, so the golden exposition test, the docs reference and the
collectors all read the same table.
"""

from __future__ import annotations

from dataclasses import dataclass

PREFIX = "jupyter_"

# --- label names -------------------------------------------------------------------------
LABEL_SERVER = "server"
LABEL_VERSION = "version"
LABEL_KERNEL_NAME = "kernel_name"
LABEL_EXECUTION_STATE = "execution_state"
LABEL_KIND = "kind"
LABEL_RESULT = "result"
LABEL_REASON = "reason"
LABEL_COLLECTOR = "collector"
LABEL_OUTCOME = "outcome"
LABEL_KERNEL_ID = "kernel_id"
LABEL_GPU = "gpu"  # NVML device index, as a string (dcgm-exporter's label)
LABEL_UUID = "uuid"  # NVML device UUID as NVML returns it, `GPU-...`
LABEL_GPU_NAME = "name"
LABEL_DRIVER_VERSION = "driver_version"
LABEL_ERROR_TYPE = "error_type"
LABEL_XID = "xid"  # NVIDIA XID code in decimal (`79`), or XID_OTHER; see GPU_XID_ERRORS
# node_exporter's label names, so PromQL written for node_* carries over
LABEL_MODE = "mode"
LABEL_DEVICE = "device"
LABEL_MOUNTPOINT = "mountpoint"
LABEL_FSTYPE = "fstype"

# --- closed label value sets -----------------------------------------------------------
CRASH_RESTART = "restart"
CRASH_DEATH = "death"
CRASH_KINDS = (CRASH_RESTART, CRASH_DEATH)

PROBE_SUCCESS = "success"
PROBE_FAILURE = "failure"
PROBE_TIMEOUT = "timeout"
PROBE_RESULTS = (PROBE_SUCCESS, PROBE_FAILURE, PROBE_TIMEOUT)

SAVE_SUCCESS = "success"
SAVE_FAILURE = "failure"
SAVE_RESULTS = (SAVE_SUCCESS, SAVE_FAILURE)

REASON_TIMEOUT = "timeout"
REASON_REFUSED = "refused"
REASON_HTTP_4XX = "http_4xx"
REASON_HTTP_5XX = "http_5xx"
REASON_BAD_PAYLOAD = "bad_payload"
REASON_AUTH = "auth"
POLL_ERROR_REASONS = (REASON_TIMEOUT, REASON_REFUSED, REASON_HTTP_4XX, REASON_HTTP_5XX,
                      REASON_BAD_PAYLOAD, REASON_AUTH)

EXECUTION_STATES = ("starting", "idle", "busy", "dead")

# node_exporter's `mode` values for node_cpu_seconds_total (guest time is inside user/nice)
CPU_MODES = ("user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal")
ECC_CORRECTED = "corrected"
ECC_UNCORRECTED = "uncorrected"
ECC_ERROR_TYPES = (ECC_CORRECTED, ECC_UNCORRECTED)

# XID codes are a closed, documented integer set (NVIDIA's XID catalogue, 1 to about 160), so
# the code itself is the label value; nothing user-controlled reaches it. Two guards keep the
# series count bounded even against a driver that reports nonsense: a code outside
# 1..XID_MAX_CODE, and any code past the first XID_MAX_CODES distinct ones on a GPU, are
# counted under `other`: at most 17 series per GPU (64 GPUs read at most), in practice a few.
XID_OTHER = "other"
XID_MAX_CODE = 999
XID_MAX_CODES = 16

EVENT_ACCEPTED = "accepted"
EVENT_IGNORED = "ignored"
EVENT_DROPPED = "dropped"
EVENT_OUTCOMES = (EVENT_ACCEPTED, EVENT_IGNORED, EVENT_DROPPED)

# Histogram buckets: DESIGN.md requires 0.5, 1, 2, 5, 10, 30, 60 for the kernel start probe.
KERNEL_STARTUP_BUCKETS = (0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0)
SAVE_PROBE_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

# --- metric table ------------------------------------------------------------------------
GAUGE, COUNTER, HISTOGRAM = "gauge", "counter", "histogram"


@dataclass(frozen=True, slots=True)
class MetricSpec:
    """One exported metric: the single place its name, type, labels and meaning live."""

    name: str
    type: str
    labels: tuple[str, ...]
    help: str


UP = MetricSpec("jupyter_up", GAUGE, (LABEL_SERVER,),
                "1 if the last poll of the target's REST API succeeded, else 0.")
TARGET_INFO = MetricSpec("jupyter_target_info", GAUGE, (LABEL_SERVER, LABEL_VERSION),
                         "Always 1; the target's Jupyter Server version.")
KERNELS = MetricSpec("jupyter_kernels", GAUGE,
                     (LABEL_SERVER, LABEL_KERNEL_NAME, LABEL_EXECUTION_STATE),
                     "Kernels by kernelspec and execution state (probe kernels excluded).")
SESSIONS = MetricSpec("jupyter_sessions", GAUGE, (LABEL_SERVER,),
                      "Sessions (probe sessions excluded).")
KERNEL_CONNECTIONS = MetricSpec("jupyter_kernel_connections", GAUGE, (LABEL_SERVER,),
                                "Websocket clients attached to kernels (probe kernels excluded).")
TERMINALS = MetricSpec("jupyter_terminals", GAUGE, (LABEL_SERVER,), "Terminals.")
IDLE_KERNELS = MetricSpec(
    "jupyter_idle_kernels", GAUGE, (LABEL_SERVER, LABEL_KERNEL_NAME),
    "Kernels idle, with no connection, and last active longer ago than --idle-threshold.")
KERNEL_STARTS = MetricSpec("jupyter_kernel_starts_total", COUNTER,
                           (LABEL_SERVER, LABEL_KERNEL_NAME),
                           "Kernels that appeared since the exporter started (probe kernels "
                           "excluded).")
KERNEL_CRASHES = MetricSpec(
    "jupyter_kernel_crashes_total", COUNTER, (LABEL_SERVER, LABEL_KERNEL_NAME, LABEL_KIND),
    "Kernel crashes: kind=restart per automatic restart attempt, kind=death per kernel removed "
    "after its restarts ran out. User restarts, shutdowns and culling are not crashes.")
KERNEL_STARTUP = MetricSpec(
    "jupyter_kernel_startup_seconds", HISTOGRAM, (LABEL_SERVER, LABEL_KERNEL_NAME),
    "Synthetic probe: time from creating a kernel to its kernel_info_reply.")
KERNEL_STARTUP_ATTEMPTS = MetricSpec(
    "jupyter_kernel_startup_attempts_total", COUNTER,
    (LABEL_SERVER, LABEL_KERNEL_NAME, LABEL_RESULT), "Synthetic kernel start probes by outcome.")
CONTENTS_SAVES = MetricSpec(
    "jupyter_contents_saves_total", COUNTER, (LABEL_SERVER, LABEL_RESULT),
    "User saves (PUT on the contents API) from the server's request metrics: 2xx success, "
    "5xx failure; the exporter's own probe saves are subtracted.")
PROBE_SAVE_SECONDS = MetricSpec("jupyter_probe_save_seconds", HISTOGRAM, (LABEL_SERVER,),
                                "Synthetic save probe: PUT of a small file and read-back.")
PROBE_SAVES = MetricSpec("jupyter_probe_saves_total", COUNTER, (LABEL_SERVER, LABEL_RESULT),
                         "Synthetic save probes by outcome.")
PROBE_KERNELS = MetricSpec(
    "jupyter_probe_kernels", GAUGE, (LABEL_SERVER,),
    "Probe kernels (this exporter's, or left by an earlier run) the last poll still found on "
    "the target: 0, or 1 while a probe runs; more means probe clean-up fails.")
AUTH_FAILURES = MetricSpec("jupyter_auth_failures_total", COUNTER, (LABEL_SERVER,),
                           "401/403 answers the server gave to anyone, from its request metrics.")
BUILD_INFO = MetricSpec("jupyter_exporter_build_info", GAUGE, (LABEL_VERSION,),
                        "Always 1; the exporter's version.")
POLL_ERRORS = MetricSpec("jupyter_exporter_poll_errors_total", COUNTER,
                         (LABEL_SERVER, LABEL_REASON), "Failed polls of a target by cause.")
LAST_POLL = MetricSpec("jupyter_exporter_last_poll_timestamp_seconds", GAUGE, (LABEL_SERVER,),
                       "Unix time of the last successful poll: when the data behind the other "
                       "series was read (the exporter serves a cached snapshot).")
COLLECTOR_SUCCESS = MetricSpec("jupyter_exporter_collector_success", GAUGE, (LABEL_COLLECTOR,),
                               "1 if the collector rendered with all its sources available.")
COLLECTOR_DURATION = MetricSpec("jupyter_exporter_collector_duration_seconds", GAUGE,
                                (LABEL_COLLECTOR,), "Time the collector took to render.")
EVENT_STREAM_UP = MetricSpec(
    "jupyter_exporter_event_stream_up", GAUGE, (LABEL_SERVER,),
    "1 while subscribed to the target's kernel event stream; 0 means crash accounting runs on "
    "its documented fallback.")
EVENTS = MetricSpec("jupyter_exporter_events_total", COUNTER, (LABEL_SERVER, LABEL_OUTCOME),
                    "Event stream messages by outcome: accepted, ignored (unknown or invalid), "
                    "dropped (buffer full).")

TARGETS = MetricSpec("jupyter_exporter_targets", GAUGE, (),
                     "Jupyter Servers this exporter (this shard) watches now.")
HUB_UP = MetricSpec("jupyter_exporter_hub_up", GAUGE, (),
                    "Hub mode: 1 if the last listing of ready servers (Hub API and proxy "
                    "routes) succeeded; on 0 the last known fleet is kept.")
POLL_CYCLE = MetricSpec("jupyter_exporter_poll_cycle_seconds", GAUGE, (),
                        "Wall time of the last poll cycle over all watched servers; near "
                        "--poll-interval means this replica needs more shards.")

# --- per-kernel resources (collector kernel_resources, opt-in, same host) ---------------
_KERNEL = (LABEL_SERVER, LABEL_KERNEL_ID, LABEL_KERNEL_NAME)
KERNEL_MEMORY = MetricSpec(
    "jupyter_kernel_memory_bytes", GAUGE, _KERNEL,
    "Resident memory (RSS) of the kernel process and its descendants; shared pages are "
    "counted once per process.")
KERNEL_CPU = MetricSpec(
    "jupyter_kernel_cpu_seconds_total", COUNTER, _KERNEL,
    "CPU time (user+system) of the kernel process and its descendants, reaped children "
    "included.")
IDLE_KERNEL_MEMORY = MetricSpec(
    "jupyter_idle_kernel_memory_bytes", GAUGE, (LABEL_SERVER, LABEL_KERNEL_NAME),
    "Resident memory held by the kernels jupyter_idle_kernels counts: the cost of idleness.")

# --- GPU (collector gpu, NVML through nvidia-ml-py) ---------------------------------------
_GPU = (LABEL_GPU, LABEL_UUID)
GPU_DEVICES = MetricSpec("jupyter_gpu_devices", GAUGE, (),
                         "GPUs NVML reported in the last read; 0 where NVML is unavailable.")
GPU_INFO = MetricSpec("jupyter_gpu_info", GAUGE, (*_GPU, LABEL_GPU_NAME, LABEL_DRIVER_VERSION),
                      "Always 1; the GPU's product name and the driver version.")
GPU_UTILIZATION = MetricSpec(
    "jupyter_gpu_utilization_ratio", GAUGE, _GPU,
    "Share of the last NVML sample period in which a kernel ran on the GPU "
    "(nvmlDeviceGetUtilizationRates.gpu / 100; not SM occupancy).")
GPU_MEMORY_UTILIZATION = MetricSpec(
    "jupyter_gpu_memory_utilization_ratio", GAUGE, _GPU,
    "Share of the last NVML sample period in which device memory was read or written.")
GPU_MEMORY_USED = MetricSpec("jupyter_gpu_memory_used_bytes", GAUGE, _GPU,
                             "Device memory in use (nvmlDeviceGetMemoryInfo.used).")
GPU_MEMORY_FREE = MetricSpec("jupyter_gpu_memory_free_bytes", GAUGE, _GPU,
                             "Device memory free (nvmlDeviceGetMemoryInfo.free).")
GPU_MEMORY_TOTAL = MetricSpec("jupyter_gpu_memory_total_bytes", GAUGE, _GPU,
                              "Device memory in total (nvmlDeviceGetMemoryInfo.total).")
GPU_TEMPERATURE = MetricSpec("jupyter_gpu_temperature_celsius", GAUGE, _GPU,
                             "GPU die temperature.")
GPU_POWER = MetricSpec("jupyter_gpu_power_usage_watts", GAUGE, _GPU,
                       "Power draw (nvmlDeviceGetPowerUsage, mW converted to W).")
GPU_ENERGY = MetricSpec("jupyter_gpu_energy_joules_total", COUNTER, _GPU,
                        "Energy used since the driver loaded (nvmlDeviceGetTotalEnergyConsumption"
                        ", mJ converted to J; Volta and newer).")
GPU_ECC_ERRORS = MetricSpec(
    "jupyter_gpu_ecc_errors_total", COUNTER, (*_GPU, LABEL_ERROR_TYPE),
    "Volatile ECC errors since the driver loaded, by error_type; absent where ECC is off or "
    "unsupported.")
GPU_XID_ERRORS = MetricSpec(
    "jupyter_gpu_xid_errors_total", COUNTER, (*_GPU, LABEL_XID),
    "XID errors the driver reported through NVML events since the exporter started, by XID "
    "code; a series appears with its code's first event. Absent where the GPU does not "
    "support events.")
GPU_UNATTRIBUTED_MEMORY = MetricSpec(
    "jupyter_gpu_unattributed_memory_used_bytes", GAUGE, _GPU,
    "GPU memory of compute processes that belong to no watched kernel.")
KERNEL_GPU_MEMORY = MetricSpec(
    "jupyter_kernel_gpu_memory_used_bytes", GAUGE, (*_KERNEL, *_GPU),
    "GPU memory used by the kernel's processes (itself and descendants) on one GPU.")

# --- node (collector node; node_exporter's units and label names, own prefix) -------------
NODE_CPU = MetricSpec("jupyter_node_cpu_seconds_total", COUNTER, (LABEL_MODE,),
                      "CPU time by mode, summed over CPUs (node_cpu_seconds_total without the "
                      "cpu label).")
NODE_MEMORY_TOTAL = MetricSpec("jupyter_node_memory_total_bytes", GAUGE, (),
                               "MemTotal from /proc/meminfo (node_memory_MemTotal_bytes).")
NODE_MEMORY_AVAILABLE = MetricSpec("jupyter_node_memory_available_bytes", GAUGE, (),
                                   "MemAvailable from /proc/meminfo "
                                   "(node_memory_MemAvailable_bytes).")
NODE_LOAD1 = MetricSpec("jupyter_node_load1", GAUGE, (), "1-minute load average.")
NODE_LOAD5 = MetricSpec("jupyter_node_load5", GAUGE, (), "5-minute load average.")
NODE_LOAD15 = MetricSpec("jupyter_node_load15", GAUGE, (), "15-minute load average.")
_FS = (LABEL_DEVICE, LABEL_MOUNTPOINT, LABEL_FSTYPE)
NODE_FS_SIZE = MetricSpec("jupyter_node_filesystem_size_bytes", GAUGE, _FS,
                          "Filesystem size in bytes.")
NODE_FS_AVAIL = MetricSpec("jupyter_node_filesystem_avail_bytes", GAUGE, _FS,
                           "Filesystem space available to non-root users in bytes.")
NODE_PRESSURE_CPU_WAITING = MetricSpec(
    "jupyter_node_pressure_cpu_waiting_seconds_total", COUNTER, (),
    "PSI: time some task waited for CPU (/proc/pressure/cpu some total).")
NODE_PRESSURE_MEMORY_WAITING = MetricSpec(
    "jupyter_node_pressure_memory_waiting_seconds_total", COUNTER, (),
    "PSI: time some task waited for memory.")
NODE_PRESSURE_MEMORY_STALLED = MetricSpec(
    "jupyter_node_pressure_memory_stalled_seconds_total", COUNTER, (),
    "PSI: time all non-idle tasks stalled on memory.")
NODE_PRESSURE_IO_WAITING = MetricSpec(
    "jupyter_node_pressure_io_waiting_seconds_total", COUNTER, (),
    "PSI: time some task waited for I/O.")
NODE_PRESSURE_IO_STALLED = MetricSpec(
    "jupyter_node_pressure_io_stalled_seconds_total", COUNTER, (),
    "PSI: time all non-idle tasks stalled on I/O.")

# PSI file lines -> metric, as node_exporter's pressure collector maps them
PRESSURE_SPECS: tuple[tuple[str, str, MetricSpec], ...] = (
    ("cpu", "some", NODE_PRESSURE_CPU_WAITING),
    ("memory", "some", NODE_PRESSURE_MEMORY_WAITING),
    ("memory", "full", NODE_PRESSURE_MEMORY_STALLED),
    ("io", "some", NODE_PRESSURE_IO_WAITING),
    ("io", "full", NODE_PRESSURE_IO_STALLED),
)

RESOURCE_METRICS = (KERNEL_MEMORY, KERNEL_CPU, IDLE_KERNEL_MEMORY)
GPU_METRICS = (GPU_DEVICES, GPU_INFO, GPU_UTILIZATION, GPU_MEMORY_UTILIZATION, GPU_MEMORY_USED,
               GPU_MEMORY_FREE, GPU_MEMORY_TOTAL, GPU_TEMPERATURE, GPU_POWER, GPU_ENERGY,
               GPU_ECC_ERRORS, GPU_XID_ERRORS, GPU_UNATTRIBUTED_MEMORY, KERNEL_GPU_MEMORY)
NODE_METRICS = (NODE_CPU, NODE_MEMORY_TOTAL, NODE_MEMORY_AVAILABLE, NODE_LOAD1, NODE_LOAD5,
                NODE_LOAD15, NODE_FS_SIZE, NODE_FS_AVAIL, NODE_PRESSURE_CPU_WAITING,
                NODE_PRESSURE_MEMORY_WAITING, NODE_PRESSURE_MEMORY_STALLED,
                NODE_PRESSURE_IO_WAITING, NODE_PRESSURE_IO_STALLED)

# --- scheduled notebook jobs (written by `jupyter-slo job run`, not by the exporter) ----------
LABEL_NOTEBOOK_JOB = "notebook_job"  # never `job`: Prometheus sets that to the scrape job
JOB_RESULT_SUCCESS = "success"
JOB_RESULT_FAILURE = "failure"
JOB_RESULTS = (JOB_RESULT_SUCCESS, JOB_RESULT_FAILURE)
JOB_RUNS = MetricSpec(
    "jupyter_notebook_job_runs_total", COUNTER, (LABEL_NOTEBOOK_JOB, LABEL_RESULT),
    "Runs of a scheduled notebook job by result: success is exit code 0; a non-zero exit, a "
    "kill, a timeout or a command that cannot start is a failure.")
JOB_DURATION = MetricSpec(
    "jupyter_notebook_job_duration_seconds", GAUGE, (LABEL_NOTEBOOK_JOB,),
    "Wall-clock seconds the most recent run of the job took, whatever its result.")
JOB_LAST_SUCCESS = MetricSpec(
    "jupyter_notebook_job_last_success_timestamp_seconds", GAUGE, (LABEL_NOTEBOOK_JOB,),
    "Unix time at which the most recent successful run of the job finished.")
JOB_METRICS = (JOB_RUNS, JOB_DURATION, JOB_LAST_SUCCESS)

# --- notebook hygiene (collectors notebook_size, notebook_paths, notebook_secrets) --------
LABEL_PATH = "path"  # only with --collector.notebook_paths (debug dashboards, opt-in)
LABEL_TYPE = "type"  # detect-secrets rule, snake_case (`aws_access_key`)
LOOKUP_READ = "read"  # the server confirmed the notebook and its size was observed
LOOKUP_MISSING = "missing"  # 404, or not a notebook: nothing else was fetched
LOOKUP_TOO_LARGE = "too_large"  # over the scan limit: size observed, content not read
LOOKUP_ERROR = "error"  # timeout, refused, 5xx, malformed model
LOOKUP_OUTCOMES = (LOOKUP_READ, LOOKUP_MISSING, LOOKUP_TOO_LARGE, LOOKUP_ERROR)
# Notebook sizes: 10 kB is a small notebook; past 10 MB JupyterLab slows down; 100 MB is
# Jupyter Server's default upload limit territory.
NOTEBOOK_SIZE_BUCKETS = (1e4, 1e5, 1e6, 2.5e6, 5e6, 1e7, 2.5e7, 5e7, 1e8)
NOTEBOOK_SIZE = MetricSpec(
    "jupyter_notebook_size_bytes", HISTOGRAM, (LABEL_SERVER,),
    "Size of notebooks as saved by users: one observation per save event whose notebook the "
    "server confirmed (model read with content=0).")
NOTEBOOK_LARGEST = MetricSpec(
    "jupyter_notebook_largest_size_bytes", GAUGE, (LABEL_SERVER, LABEL_PATH),
    "Opt-in (--collector.notebook_paths): the largest notebooks saved recently, by path, at "
    "most 10 per server.")
SECRET_FINDINGS = MetricSpec(
    "jupyter_notebook_secret_findings_total", COUNTER, (LABEL_SERVER, LABEL_TYPE),
    "Opt-in (--collector.notebook_secrets): secrets detect-secrets found in the code cells and "
    "text outputs of saved notebooks, by rule; every save that still holds one counts again.")
NOTEBOOK_LOOKUPS = MetricSpec(
    "jupyter_exporter_notebook_lookups_total", COUNTER, (LABEL_SERVER, LABEL_OUTCOME),
    "Notebook look-ups after save events by outcome: read, missing, too_large, error. Events "
    "with unsafe paths are counted as ignored events and never looked up.")
NOTEBOOK_METRICS = (NOTEBOOK_SIZE, NOTEBOOK_LARGEST, SECRET_FINDINGS, NOTEBOOK_LOOKUPS)

# --- jupyter-scheduler jobs (collector scheduler_jobs): the job series, plus `server` -----
SCHEDULER_JOB_RUNS = MetricSpec(
    JOB_RUNS.name, COUNTER, (LABEL_SERVER, *JOB_RUNS.labels),
    "jupyter-scheduler jobs that finished since the exporter started, by result: COMPLETED is "
    "success; FAILED and STOPPED are failure.")
SCHEDULER_JOB_DURATION = MetricSpec(
    JOB_DURATION.name, GAUGE, (LABEL_SERVER, *JOB_DURATION.labels),
    "jupyter-scheduler: seconds the most recently finished run of the job took.")
SCHEDULER_JOB_LAST_SUCCESS = MetricSpec(
    JOB_LAST_SUCCESS.name, GAUGE, (LABEL_SERVER, *JOB_LAST_SUCCESS.labels),
    "jupyter-scheduler: Unix time at which the newest COMPLETED run of the job ended.")
SCHEDULER_METRICS = (SCHEDULER_JOB_RUNS, SCHEDULER_JOB_DURATION, SCHEDULER_JOB_LAST_SUCCESS)

ALL_METRICS: tuple[MetricSpec, ...] = (
    UP, TARGET_INFO, KERNELS, SESSIONS, KERNEL_CONNECTIONS, TERMINALS, IDLE_KERNELS,
    KERNEL_STARTS, KERNEL_CRASHES, KERNEL_STARTUP, KERNEL_STARTUP_ATTEMPTS, CONTENTS_SAVES,
    PROBE_SAVE_SECONDS, PROBE_SAVES, PROBE_KERNELS, AUTH_FAILURES, BUILD_INFO, POLL_ERRORS,
    LAST_POLL, COLLECTOR_SUCCESS, COLLECTOR_DURATION, EVENT_STREAM_UP, EVENTS, TARGETS, HUB_UP,
    POLL_CYCLE,
    *RESOURCE_METRICS, *GPU_METRICS, *NODE_METRICS, *NOTEBOOK_METRICS, *SCHEDULER_METRICS,
)

# --- collector names (flags --collector.<name> / --no-collector.<name>) -----------------
COLLECTOR_KERNELS = "kernels"
COLLECTOR_CRASHES = "crashes"
COLLECTOR_KERNEL_PROBE = "kernel_probe"
COLLECTOR_SAVE_PROBE = "save_probe"
COLLECTOR_SERVER_METRICS = "server_metrics"
COLLECTOR_KERNEL_RESOURCES = "kernel_resources"  # opt-in: needs the kernels' PID namespace
COLLECTOR_GPU = "gpu"  # opt-in: needs nvidia-ml-py (the `gpu` extra) and a driver
COLLECTOR_NODE = "node"  # on by default except in Hub mode, where node_exporter runs
COLLECTOR_NOTEBOOK_SIZE = "notebook_size"  # on: save events -> content=0 model -> size
COLLECTOR_NOTEBOOK_PATHS = "notebook_paths"  # opt-in: largest notebooks by path (debug)
COLLECTOR_NOTEBOOK_SECRETS = "notebook_secrets"  # opt-in: reads notebook content, see docs
COLLECTOR_SCHEDULER_JOBS = "scheduler_jobs"  # on: jupyter-scheduler's jobs API where present

# --- Jupyter Server's own names the exporter reads -------------------------------------
JS_REQUEST_DURATION_COUNT = "http_request_duration_seconds_count"
JS_HANDLER_CONTENTS = "jupyter_server.services.contents.handlers.ContentsHandler"
JS_HANDLER_KERNEL_ACTION = "jupyter_server.services.kernels.handlers.KernelActionHandler"
JS_HANDLER_KERNEL = "jupyter_server.services.kernels.handlers.KernelHandler"
JS_HANDLER_SESSION = "jupyter_server.services.sessions.handlers.SessionHandler"
KERNEL_ACTIONS_SCHEMA = "https://events.jupyter.org/jupyter_server/kernel_actions/v1"
CONTENTS_SCHEMA = "https://events.jupyter.org/jupyter_server/contents_service/v1"
