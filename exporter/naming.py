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

ALL_METRICS: tuple[MetricSpec, ...] = (
    UP, TARGET_INFO, KERNELS, SESSIONS, KERNEL_CONNECTIONS, TERMINALS, IDLE_KERNELS,
    KERNEL_STARTS, KERNEL_CRASHES, KERNEL_STARTUP, KERNEL_STARTUP_ATTEMPTS, CONTENTS_SAVES,
    PROBE_SAVE_SECONDS, PROBE_SAVES, AUTH_FAILURES, BUILD_INFO, POLL_ERRORS, LAST_POLL,
    COLLECTOR_SUCCESS, COLLECTOR_DURATION, EVENT_STREAM_UP, EVENTS,
)

# --- collector names (flags --collector.<name> / --no-collector.<name>) -----------------
COLLECTOR_KERNELS = "kernels"
COLLECTOR_CRASHES = "crashes"
COLLECTOR_KERNEL_PROBE = "kernel_probe"
COLLECTOR_SAVE_PROBE = "save_probe"
COLLECTOR_SERVER_METRICS = "server_metrics"

# --- Jupyter Server's own names the exporter reads -------------------------------------
JS_REQUEST_DURATION_COUNT = "http_request_duration_seconds_count"
JS_HANDLER_CONTENTS = "jupyter_server.services.contents.handlers.ContentsHandler"
JS_HANDLER_KERNEL_ACTION = "jupyter_server.services.kernels.handlers.KernelActionHandler"
JS_HANDLER_KERNEL = "jupyter_server.services.kernels.handlers.KernelHandler"
JS_HANDLER_SESSION = "jupyter_server.services.sessions.handlers.SessionHandler"
KERNEL_ACTIONS_SCHEMA = "https://events.jupyter.org/jupyter_server/kernel_actions/v1"
