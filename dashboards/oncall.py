"""On-call: what a page needs next to it — kernels, probes, saves, auth, node, exporter.

Probe-based panels use a fixed 30m window: the synthetic probes run every 5 minutes by
default, so `$__rate_interval` would often hold no probe at all. Failure panels add a zero for
every series that had attempts (`or 0 * total`), so "no failures" reads 0 and a dead probe
reads as no data.
"""

from __future__ import annotations

from dashboards import metrics, naming
from dashboards.common import Board, board, query_variable
from dashboards.panels import (
    HEATMAP,
    NEED_FIRING,
    NEED_NODE,
    TABLE,
    Cell,
    Query,
    Row,
    Step,
    heatmap,
    stat,
    table,
    timeseries,
)
from dashboards.promql import RATE_INTERVAL, by, equals, matches, or_zero, selector
from exporter import naming as x

PROBE_WINDOW = "30m"
COUNT_WINDOW = "1h"
UP_MAPPINGS = [{"type": "value", "options": {
    "0": {"text": "down", "color": "red", "index": 0},
    "1": {"text": "up", "color": "green", "index": 1}}}]


def build(*, version: str) -> Board:
    server = matches(x.LABEL_SERVER, naming.VAR_SERVER)
    kernel = matches(x.LABEL_KERNEL_NAME, naming.VAR_KERNEL_NAME)
    sv, sk = selector(server), selector(server, kernel)
    failed = selector(server, kernel, f'{x.LABEL_RESULT}!="{x.PROBE_SUCCESS}"')
    startup_bucket = f"{x.KERNEL_STARTUP.name}_bucket"
    attempts = x.KERNEL_STARTUP_ATTEMPTS.name
    node = {"mem_total": metrics.NODE_MEMORY_TOTAL, "mem_avail": metrics.NODE_MEMORY_AVAILABLE}
    firing = selector(equals(metrics.ALERT_STATE, "firing"))
    cells: list[Cell | Row] = [
        Row("Alerts"),
        stat("Alerts firing", "Alerts firing now, SLO burn-rate alerts and operational ones "
             "alike. Start from the page's runbook; the table lists them all.", "short",
             [Query(f"count({metrics.ALERTS}{firing}) or vector(0)")],
             thresholds=(Step("green"), Step("red", 1)), width=4),
        table("Firing alerts", "Every firing alert with its labels. SLO alerts carry "
              "sloth_service and sloth_slo: open the SLO detail dashboard from the page's "
              "link.", "string", [Query(f"{metrics.ALERTS}{firing}", instant=True,
                                        format=TABLE)],
              width=20, height=4, needs={NEED_FIRING},
              transformations=[{"id": "organize", "options": {"excludeByName": {
                  "Time": True, "Value": True, "__name__": True,
                  metrics.ALERT_STATE: True}}}]),
        Row("Kernels"),
        heatmap("Kernel startup latency", "Synthetic probe: time from creating a kernel to "
                "its first reply, per probe, bucketed. A band moving up means slow starts for "
                "users too: check node pressure and image pulls.", "s",
                [Query(f"sum {by('le')} (increase({startup_bucket}{sk}[{RATE_INTERVAL}]))",
                       "{{le}}", format=HEATMAP)]),
        timeseries("Kernel startup latency percentiles", f"p50, p90 and p99 of the probe's "
                   f"kernel start time over {PROBE_WINDOW}. p99 near the probe timeout means "
                   "starts are failing, not just slow.", "s",
                   [Query(f"histogram_quantile({q}, sum {by('le')} "
                          f"(rate({startup_bucket}{sk}[{PROBE_WINDOW}])))", f"p{label}")
                    for q, label in (("0.5", "50"), ("0.9", "90"), ("0.99", "99"))]),
        timeseries("Kernel crashes by kernelspec", f"Kernel crashes (automatic restarts and "
                   f"deaths) over the last {COUNT_WINDOW}, per kernelspec. One kernelspec "
                   "crashing alone points at its image or packages, all of them at the node.",
                   "short",
                   [Query(or_zero(f"sum {by(x.LABEL_KERNEL_NAME)} (increase("
                                  f"{x.KERNEL_CRASHES.name}{sk}[{COUNT_WINDOW}]))",
                                  f"sum {by(x.LABEL_KERNEL_NAME)} (increase("
                                  f"{x.KERNEL_STARTS.name}{sk}[{COUNT_WINDOW}]))"),
                          "{{kernel_name}}")]),
        timeseries("Kernels by state", "Running kernels by execution state. Many `busy` "
                   "kernels with slow probes means a saturated node; `dead` kernels are crashes "
                   "the server has not cleaned up.", "short",
                   [Query(f"sum {by(x.LABEL_EXECUTION_STATE)} ({x.KERNELS.name}{sk})",
                          "{{execution_state}}")], stack=True),
        Row("Probes, saves and authentication"),
        timeseries("Kernel start probe failures", f"Failed and timed-out synthetic kernel "
                   f"starts over the last {PROBE_WINDOW}, per server. Any failure here is a "
                   "user who could not start a kernel.", "short",
                   [Query(or_zero(f"sum {by(x.LABEL_SERVER, x.LABEL_RESULT)} "
                                  f"(increase({attempts}{failed}[{PROBE_WINDOW}]))",
                                  f"sum {by(x.LABEL_SERVER)} "
                                  f"(increase({attempts}{sk}[{PROBE_WINDOW}]))"),
                          "{{server}} {{result}}")], width=6),
        timeseries("Save probe failures", f"Failed synthetic saves over the last "
                   f"{PROBE_WINDOW}, per server: the contents API or its disk is failing.",
                   "short",
                   [Query(or_zero(f"sum {by(x.LABEL_SERVER)} (increase({x.PROBE_SAVES.name}"
                                  f"{selector(server, equals(x.LABEL_RESULT, x.SAVE_FAILURE))}"
                                  f"[{PROBE_WINDOW}]))",
                                  f"sum {by(x.LABEL_SERVER)} (increase({x.PROBE_SAVES.name}"
                                  f"{sv}[{PROBE_WINDOW}]))"), "{{server}}")], width=6),
        timeseries("User save failures", f"Saves by users that failed with a server error "
                   f"(5xx) over the last {COUNT_WINDOW}: lost work. Check the server's disk and "
                   "logs.", "short",
                   [Query(or_zero(f"sum {by(x.LABEL_SERVER)} (increase("
                                  f"{x.CONTENTS_SAVES.name}"
                                  f"{selector(server, equals(x.LABEL_RESULT, x.SAVE_FAILURE))}"
                                  f"[{COUNT_WINDOW}]))",
                                  f"sum {by(x.LABEL_SERVER)} (increase({x.CONTENTS_SAVES.name}"
                                  f"{sv}[{COUNT_WINDOW}]))"), "{{server}}")], width=6),
        timeseries("Authentication failures", "401 and 403 answers per second, per server. A "
                   "spike is an expired token in a client, a misconfigured proxy, or someone "
                   "guessing tokens.", "reqps",
                   [Query(f"sum {by(x.LABEL_SERVER)} (rate({x.AUTH_FAILURES.name}{sv}"
                          f"[{RATE_INTERVAL}]))", "{{server}}")], width=6),
        Row("Node"),
        timeseries("Node memory in use", "Share of the node's memory in use (1 - available / "
                   "total). Near 100 % the kernel OOM killer starts taking kernels.",
                   "percentunit",
                   [Query(f"1 - {node['mem_avail']} / {node['mem_total']}", "memory in use")],
                   needs={NEED_NODE}, min=0, max=1),
        timeseries("Node CPU and memory pressure", "Share of time tasks waited for CPU or "
                   "memory (Linux PSI). Sustained CPU pressure slows every kernel; memory "
                   "pressure precedes OOM kills.", "percentunit",
                   [Query(f"rate({metrics.NODE_PRESSURE_CPU_WAITING}[{RATE_INTERVAL}])",
                          "cpu waiting"),
                    Query(f"rate({metrics.NODE_PRESSURE_MEMORY_WAITING}[{RATE_INTERVAL}])",
                          "memory waiting")], needs={NEED_NODE}, min=0),
        Row("Exporter and targets"),
        timeseries("Targets up", "1 while the exporter's last poll of the server's REST API "
                   "succeeded. A target at 0 is down or refusing the exporter's token; the "
                   "debug dashboard's poll errors say which.", "short",
                   [Query(f"{x.UP.name}{sv}", "{{server}}")], width=8, min=0, max=1),
        stat("Exporter scraped", "Prometheus' own `up` for every job scraping a jupyter-slo "
             "exporter, with its version. Down means every other panel is stale.", "short",
             [Query(f"{metrics.UP} * on(instance, job) group_left({x.LABEL_VERSION}) "
                    f"{x.BUILD_INFO.name}", "{{instance}} {{version}}")],
             width=4, mappings=UP_MAPPINGS, color_mode="background", text_mode="value_and_name"),
        timeseries("Data age per target", "Seconds since the exporter last read each server. "
                   "More than a few poll intervals means the exporter is stuck on that target.",
                   "s", [Query(f"time() - {x.LAST_POLL.name}{sv}", "{{server}}")], width=6),
        timeseries("Collector health", "1 while the collector rendered with all its sources; "
                   "0 points at the source that failed (see the exporter's log).", "short",
                   [Query(f"min {by(x.LABEL_COLLECTOR)} ({x.COLLECTOR_SUCCESS.name})",
                          "{{collector}}")], width=6, min=0, max=1),
    ]
    variables = [
        query_variable(naming.VAR_SERVER, "Server", f"label_values({x.UP.name}, "
                                                    f"{x.LABEL_SERVER})"),
        query_variable(naming.VAR_KERNEL_NAME, "Kernelspec",
                       f"label_values({x.KERNELS.name}{sv}, {x.LABEL_KERNEL_NAME})"),
    ]
    return board(naming.ON_CALL, "What a page needs beside it: kernels, probes, saves, "
                 "authentication, node pressure, exporter health.", ["on-call"], variables,
                 cells, version=version, time_from="now-3h")
