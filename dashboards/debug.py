"""Debug: per-kernel and per-server detail for chasing one user's problem.

Top-k panels take `$topk` (5, 10, 20) so a fleet of thousands of kernels stays readable.
Notebook sizes come in two strengths, as the exporter writes them: the size histogram (no
paths, always there with the default `notebook_size` collector) gives the distribution and
the count of large saves per server; only the opt-in `notebook_paths` collector names the
largest notebooks, so that table needs it and shows no data otherwise.
"""

from __future__ import annotations

from dashboards import metrics, naming
from dashboards.common import Board, board, custom_variable, query_variable
from dashboards.panels import (
    HEATMAP,
    NEED_GPU,
    NEED_NOTEBOOK_PATHS,
    NEED_PER_KERNEL,
    TABLE,
    Cell,
    Query,
    Row,
    heatmap,
    table,
    timeseries,
)
from dashboards.promql import RATE_INTERVAL, by, equals, matches, or_zero, selector
from exporter import naming as x

NOTEBOOK_WINDOW = "1h"
# Past 10 MB JupyterLab slows down; one of exporter/naming.py's NOTEBOOK_SIZE_BUCKETS, since
# the query selects that bucket (tests/dashboards checks it).
LARGE_NOTEBOOK_BYTES = 1e7


def le(bound: float) -> str:
    """The `le` value prometheus_client, and so the exporter, writes for a bucket bound."""
    return repr(float(bound))


def _notebook_cells(server: str, topk: str) -> list[Cell | Row]:
    sv = selector(server)
    size = x.NOTEBOOK_SIZE.name
    saves = f"sum {by(x.LABEL_SERVER)} (increase({size}_count{sv}[{NOTEBOOK_WINDOW}]))"
    small = selector(server, equals("le", le(LARGE_NOTEBOOK_BYTES)))
    small_saves = (f"sum {by(x.LABEL_SERVER)} "
                   f"(increase({size}_bucket{small}[{NOTEBOOK_WINDOW}]))")
    return [
        Row("Notebooks"),
        heatmap("Saved notebook sizes", "Size of each notebook users saved, bucketed (10 kB "
                "to 100 MB). A band creeping up is notebooks keeping large outputs (plots, "
                "data frames): slow saves, slow loads, full disks.", "bytes",
                [Query(f"sum {by('le')} (increase({size}_bucket{sv}[{RATE_INTERVAL}]))",
                       "{{le}}", format=HEATMAP)]),
        timeseries(f"Saves of notebooks over 10 MB, per server, last {NOTEBOOK_WINDOW}",
                   "Saves of notebooks larger than 10 MB, the histogram's top buckets: past "
                   "that JupyterLab slows down and saves may time out. Without the "
                   "notebook_paths collector this is as close to a name as the exporter gets: "
                   "the server.", "short",
                   [Query(f"{saves}\n-\n{small_saves}", "{{server}}")], min=0),
        table(f"Largest notebooks, top {topk}", "The largest notebooks by their latest save "
              "in the last 24 hours, with their paths (the exporter keeps 10 per server). Only "
              "with the opt-in notebook_paths collector, which puts paths in labels; ask the "
              "owner to clear outputs or move data out of the notebook.", "bytes",
              [Query(f"topk({topk}, max {by(x.LABEL_SERVER, x.LABEL_PATH)} "
                     f"({x.NOTEBOOK_LARGEST.name}{sv}))", instant=True, format=TABLE)],
              needs={NEED_NOTEBOOK_PATHS},
              transformations=[{"id": "organize", "options": {
                  "excludeByName": {"Time": True},
                  "renameByName": {"Value": "Size"}}}],
              sort_by=[("Size", True)]),
    ]


def build(*, version: str) -> Board:
    server = matches(x.LABEL_SERVER, naming.VAR_SERVER)
    kernel = matches(x.LABEL_KERNEL_NAME, naming.VAR_KERNEL_NAME)
    sv, sk = selector(server), selector(server, kernel)
    per_kernel = by(x.LABEL_SERVER, metrics.LABEL_KERNEL_ID, x.LABEL_KERNEL_NAME)
    topk = f"${naming.VAR_TOPK}"
    legend = "{{server}} {{kernel_name}} {{kernel_id}}"
    cells: list[Cell | Row] = [
        Row("Kernels"),
        timeseries(f"Kernel CPU, top {topk}", "CPU used by each kernel's process tree (100 % = "
                   "one core). A kernel pinned at its core count for hours is a runaway loop or "
                   "a job that belongs on a batch system.", "percentunit",
                   [Query(f"topk({topk}, sum {per_kernel} (rate({metrics.KERNEL_CPU_SECONDS}"
                          f"{sk}[{RATE_INTERVAL}])))", legend)], needs={NEED_PER_KERNEL}),
        timeseries(f"Kernel memory, top {topk}", "Resident memory of each kernel's process "
                   "tree. Growth without end is a leak; near the node's memory, the next "
                   "allocation kills it.", "bytes",
                   [Query(f"topk({topk}, sum {per_kernel} ({metrics.KERNEL_MEMORY_BYTES}{sk}))",
                          legend)], needs={NEED_PER_KERNEL}),
        timeseries("GPU memory per kernel", "GPU memory held by each kernel's processes, per "
                   "GPU. Memory held by an idle kernel blocks the GPU for everyone else.",
                   "bytes",
                   [Query(f"sum {by(x.LABEL_SERVER, metrics.LABEL_KERNEL_ID, metrics.LABEL_GPU)}"
                          f" ({metrics.KERNEL_GPU_MEMORY}{sk})",
                          "{{server}} {{kernel_id}} gpu {{gpu}}")], needs={NEED_GPU}),
        timeseries("Long-idle kernels", "Kernels idle, with no client attached, for longer "
                   "than the exporter's --idle-threshold, per server and kernelspec. These are "
                   "what an idle culler would stop.", "short",
                   [Query(f"sum {by(x.LABEL_SERVER, x.LABEL_KERNEL_NAME)} "
                          f"({x.IDLE_KERNELS.name}{sk})", "{{server}} {{kernel_name}}")]),
        Row("Servers"),
        timeseries("Sessions per server", "Open notebook and console sessions per server. A "
                   "server with many more sessions than its peers is where slowness starts.",
                   "short", [Query(f"sum {by(x.LABEL_SERVER)} ({x.SESSIONS.name}{sv})",
                                   "{{server}}")], width=8),
        timeseries("Connections and terminals per server", "Websocket clients attached to "
                   "kernels, and open terminals. Sessions without connections are tabs users "
                   "closed with the kernel still running.", "short",
                   [Query(f"sum {by(x.LABEL_SERVER)} ({x.KERNEL_CONNECTIONS.name}{sv})",
                          "{{server}} connections"),
                    Query(f"sum {by(x.LABEL_SERVER)} ({x.TERMINALS.name}{sv})",
                          "{{server}} terminals")], width=8),
        timeseries("Poll errors by reason", "Failed polls per server and cause (timeout, "
                   "refused, http_4xx, http_5xx, bad_payload, auth). `auth` is a token "
                   "problem; `refused` a server that is not running.", "short",
                   [Query(or_zero(f"sum {by(x.LABEL_SERVER, x.LABEL_REASON)} "
                                  f"(increase({x.POLL_ERRORS.name}{sv}[{RATE_INTERVAL}]))",
                                  f"sum {by(x.LABEL_SERVER)} ({x.UP.name}{sv})"),
                          "{{server}} {{reason}}")], width=8),
        timeseries("Collector render time", "Time each collector took to render its metrics. "
                   "Growing with the fleet is expected; jumps point at a slow source.", "s",
                   [Query(f"{x.COLLECTOR_DURATION.name}", "{{collector}}")]),
        timeseries("Kernel event stream", "1 while the exporter is subscribed to a server's "
                   "kernel event stream; at 0 crash accounting runs on its polling fallback "
                   "and may miss fast restarts.", "short",
                   [Query(f"{x.EVENT_STREAM_UP.name}{sv}", "{{server}}")], min=0, max=1),
        *_notebook_cells(server, topk),
    ]
    variables = [
        query_variable(naming.VAR_SERVER, "Server", f"label_values({x.UP.name}, "
                                                    f"{x.LABEL_SERVER})"),
        query_variable(naming.VAR_KERNEL_NAME, "Kernelspec",
                       f"label_values({x.KERNELS.name}{sv}, {x.LABEL_KERNEL_NAME})"),
        custom_variable(naming.VAR_TOPK, "Top", ["5", "10", "20"], "10"),
    ]
    return board(naming.DEBUG, "Per-kernel and per-server detail for chasing one problem.",
                 ["debug"], variables, cells, version=version, time_from="now-3h")
