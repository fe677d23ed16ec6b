"""Executive: users, availability, every SLO's status, and what the platform costs per user.

Active users are JupyterHub's own `jupyterhub_active_users{period="24h"}` in Hub mode and the
number of sessions otherwise (one query, the Hub's figure first). Cost is priced by dashboard
variables a team sets to its own rates; resource hours integrate gauges over the dashboard's
time range with one-minute subqueries (each sample stands for one minute, 1/60 h), so a kernel
alive for ten minutes counts ten minutes, not the whole range.
"""

from __future__ import annotations

from dashboards import metrics, naming
from dashboards.common import Board, board, textbox_variable
from dashboards.overview import BUDGET_STEPS
from dashboards.panels import (
    NEED_GPU,
    NEED_HUB,
    NEED_PER_KERNEL,
    Cell,
    Query,
    Row,
    Step,
    stat,
    timeseries,
)
from dashboards.promql import RANGE, equals, selector
from exporter import naming as x
from slo import naming as n

HOUR_STEP = "1m"
GIB = 2 ** 30


def active_users() -> str:
    hub = selector(equals(metrics.HUB_LABEL_PERIOD, "24h"))
    return f"max({metrics.HUB_ACTIVE_USERS}{hub}) or on() sum({x.SESSIONS.name})"


def _users_in_range() -> str:
    """Peak active users over the range, at least 1 so a quiet range divides safely."""
    return f"clamp_min(max_over_time(({active_users()})[{RANGE}:5m]), 1)"


def cpu_hours() -> str:
    return f"sum(increase({metrics.KERNEL_CPU_SECONDS}[{RANGE}])) / 3600"


def memory_gib_hours() -> str:
    return (f"sum(sum_over_time({metrics.KERNEL_MEMORY_BYTES}[{RANGE}:{HOUR_STEP}]))"
            f" / 60 / {GIB}")


def gpu_hours_held() -> str:
    """GPU-hours during which at least one kernel held memory on the GPU."""
    held = f"count by ({metrics.LABEL_UUID}) ({metrics.KERNEL_GPU_MEMORY} > 0)"
    return f"sum(sum_over_time(({held})[{RANGE}:{HOUR_STEP}])) / 60"


def build(*, version: str) -> Board:
    users = _users_in_range()
    price = {k: f"${k}" for k in (naming.VAR_CPU_PRICE, naming.VAR_MEMORY_PRICE,
                                   naming.VAR_GPU_PRICE)}
    cost = (f"(\n  ({cpu_hours()}) * {price[naming.VAR_CPU_PRICE]}\n"
            f"  + ({memory_gib_hours()}) * {price[naming.VAR_MEMORY_PRICE]}\n"
            f"  + (({gpu_hours_held()}) or on() vector(0)) * {price[naming.VAR_GPU_PRICE]}\n"
            f")\n/ on() {users}")
    cells: list[Cell | Row] = [
        Row("Usage and availability"),
        stat("Active users", "JupyterHub's daily active users in Hub mode; without a Hub, "
             "the number of open notebook sessions. Compare with last week before planning "
             "capacity.", "short", [Query(active_users())], graph=True),
        stat("Platform availability", "Share of polls over the time range in which the "
             "Jupyter servers answered their REST API. Below 99.9 % over a week is worth a "
             "review with the on-call team.", "percentunit",
             [Query(f"avg(avg_over_time({x.UP.name}[{RANGE}]))")], decimals=2,
             thresholds=(Step("red"), Step("orange", 0.99), Step("green", 0.999))),
        stat("Idle kernels now", "Kernels idle, unattached and inactive beyond the idle "
             "threshold: capacity paid for and unused. A steady count calls for an idle "
             "culler.", "short", [Query(f"sum({x.IDLE_KERNELS.name})")],
             thresholds=(Step("green"), Step("orange", 10))),
        stat("Memory held by idle kernels", "Memory of the kernels counted as idle: what an "
             "idle culler would give back.", "bytes",
             [Query(f"sum({metrics.IDLE_KERNEL_MEMORY})")], needs={NEED_PER_KERNEL}),
        timeseries("Active users and sessions", "Active users (as in the stat above), open "
                   "sessions and running kernels over time. Sessions growing faster than users "
                   "means kernels are left open.", "short",
                   [Query(active_users(), "active users"),
                    Query(f"sum({x.SESSIONS.name})", "sessions"),
                    Query(f"sum({x.KERNELS.name})", "kernels")]),
        timeseries("Hub active users by period", "JupyterHub's own count of users active in "
                   "the last 24 hours, 7 days and 30 days (recomputed hourly by the Hub).",
                   "short", [Query(f"max by ({metrics.HUB_LABEL_PERIOD}) "
                                   f"({metrics.HUB_ACTIVE_USERS})",
                                   f"{{{{{metrics.HUB_LABEL_PERIOD}}}}}")],
                   needs={NEED_HUB}),
        Row("SLOs"),
        stat("Error budget remaining per SLO", "Every SLO's share of error budget left over "
             "its period: green is healthy, orange under a quarter left, red broken. Details "
             "are in the SLO overview dashboard.", "percentunit",
             [Query(f"{n.PERIOD_BUDGET_REMAINING}",
                    f"{{{{{n.LABEL_SERVICE}}}}} / {{{{{n.LABEL_SLO}}}}}")],
             width=24, height=5, decimals=1, thresholds=BUDGET_STEPS,
             text_mode="value_and_name", color_mode="background"),
        Row("Cost signals"),
        stat("GPU hours held by kernels", "GPU-hours over the time range during which a "
             "kernel held memory on a GPU, busy or not: what GPUs cost, whatever they did.",
             "h", [Query(gpu_hours_held())], needs={NEED_GPU}, decimals=1),
        stat("GPU hours busy", "GPU-hours of actual compute (utilisation integrated over the "
             "range). Far below the hours held means GPUs are reserved and idle.", "h",
             [Query(f"sum(sum_over_time({metrics.GPU_UTILIZATION}[{RANGE}:{HOUR_STEP}])) / 60")],
             needs={NEED_GPU}, decimals=1),
        stat("CPU hours per active user", "Kernel CPU time over the range divided by the peak "
             "number of active users.", "h", [Query(f"({cpu_hours()})\n/ on() {users}")],
             needs={NEED_PER_KERNEL}, decimals=2),
        stat("Memory GiB-hours per active user", "Kernel memory integrated over the range "
             "(GiB x hours), per peak active user.", "suffix: GiB·h",
             [Query(f"({memory_gib_hours()})\n/ on() {users}")], needs={NEED_PER_KERNEL},
             decimals=2),
        stat("GPU hours per active user", "GPU-hours held by kernels, per peak active user.",
             "h", [Query(f"({gpu_hours_held()})\n/ on() {users}")], needs={NEED_GPU},
             decimals=2),
        stat("Cost per active user", "CPU hours, memory GiB-hours and GPU hours priced with "
             "this dashboard's price variables (set them to your own rates), per peak active "
             "user over the range.", "currencyUSD", [Query(cost)], needs={NEED_PER_KERNEL},
             decimals=2),
    ]
    variables = [
        textbox_variable(naming.VAR_CPU_PRICE, "Price per CPU hour", "0.05"),
        textbox_variable(naming.VAR_MEMORY_PRICE, "Price per GiB-hour", "0.01"),
        textbox_variable(naming.VAR_GPU_PRICE, "Price per GPU hour", "2.50"),
    ]
    return board(naming.EXECUTIVE, "Users, availability, SLO status and cost per user.",
                 ["executive"], variables, cells, version=version, time_from="now-7d")
