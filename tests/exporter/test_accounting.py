"""Crash, start and save accounting as a pure state machine: scenarios as tables.

Times are seconds on a made-up clock; polls every 1 s; the grace is 2 s. Request counts are
(user_restarts, saves_ok, saves_failed, auth_failures, deletes).
"""

from __future__ import annotations

from typing import Any

import pytest

from exporter import accounting, naming
from exporter.model import Kernel, KernelEvent, RequestCounts, ServerView

A = "aaaaaaaa-0000-4000-8000-000000000001"
B = "bbbbbbbb-0000-4000-8000-000000000002"
P = "cccccccc-0000-4000-8000-000000000003"  # a probe kernel
SPECS = frozenset({"python3", "crashy"})


def view(kernels: dict[str, str], counts: tuple[float, ...] | None,
         started: float = 1.0) -> ServerView:
    return ServerView("2.21.1", started, None,
                      tuple(Kernel(k, n, "idle", 0, None) for k, n in kernels.items()),
                      (), 0, SPECS, RequestCounts(*counts) if counts is not None else None)


def run(steps: list[tuple[Any, ...]]) -> accounting.Accounting:
    acc = accounting.Accounting()
    for step in steps:
        kind, t = step[0], step[1]
        if kind == "stream":
            acc = accounting.on_stream(acc, step[2], t)
        elif kind == "event":
            action, kid = step[2], step[3]
            name = step[4] if len(step) > 4 else "python3"
            acc, _ = accounting.on_event(acc, KernelEvent(action, "success", kid, name, t))
        elif kind == "poll":
            acc = accounting.on_poll(acc, view(step[2], step[3]), frozenset({P}), t)
        elif kind == "probe_put":
            acc = accounting.on_probe_put(acc, step[2])
    return acc


def polls(start: int, end: int, kernels: dict[str, str], counts: tuple[float, ...] | None
          ) -> list[tuple[Any, ...]]:
    return [("poll", float(t), kernels, counts) for t in range(start, end)]


C0, C1 = (0, 0, 0, 0, 0), (1, 0, 0, 0, 0)
ONE = {A: "python3"}
STREAM = [("stream", 0.0, True)]

SCENARIOS = [
    pytest.param(STREAM + polls(1, 3, ONE, C0) + [("event", 3.5, "restart", A)]
                 + polls(4, 8, ONE, C0),
                 {("python3", "restart"): 1}, id="an unexplained restart event is one crash"),
    pytest.param(STREAM + polls(1, 3, ONE, C0) + [("event", 3.5, "restart", A)]
                 + polls(4, 8, ONE, C1),
                 {}, id="a restart the request metrics explain is a user restart"),
    pytest.param(STREAM + polls(1, 3, ONE, C0) + [("event", 3.5, "restart", A)]
                 + polls(4, 5, ONE, C0) + polls(5, 8, ONE, C1),
                 {}, id="request metrics a poll later still explain it within the grace"),
    pytest.param(STREAM + polls(1, 3, ONE, C0) + [("event", 3.2, "shutdown", A)]
                 + polls(4, 8, {}, C0),
                 {}, id="a kernel gone with a shutdown event is no crash"),
    pytest.param(STREAM + polls(1, 3, ONE, C0) + polls(3, 4, {}, C0)
                 + [("event", 3.5, "shutdown", A)] + polls(4, 8, {}, C0),
                 {}, id="a shutdown event arriving after the poll that missed the kernel"),
    pytest.param(STREAM + polls(1, 3, ONE, C0) + polls(3, 8, {}, C0),
                 {("python3", "death"): 1}, id="a kernel gone without a shutdown is one death"),
    pytest.param(STREAM + polls(1, 3, ONE, C0)
                 + [("event", 3.0 + i / 10, "restart", A) for i in range(5)]
                 + polls(4, 5, ONE, C0) + polls(5, 10, {}, C0),
                 {("python3", "restart"): 5, ("python3", "death"): 1},
                 id="five failed restarts then removal: five restarts and one death"),
    pytest.param(STREAM + polls(1, 3, ONE, C0)
                 + [("event", 3.0 + i / 10, "restart", A) for i in range(3)]
                 + polls(3, 4, {}, C0) + polls(4, 10, {}, C0),
                 {("python3", "restart"): 3, ("python3", "death"): 1},
                 id="restart events classified after the kernel vanished do not revive it"),
    pytest.param(STREAM + polls(1, 3, {A: "python3", P: "python3"}, C0)
                 + [("event", 3.5, "restart", P)] + polls(4, 8, ONE, C0),
                 {}, id="probe kernels never count"),
    pytest.param(STREAM + polls(1, 3, ONE, C0)
                 + [("event", 3.5, "restart", B, "evil\u202e")] + polls(4, 8, ONE, C0),
                 {}, id="a forged restart for an unknown id and spec moves nothing"),
    pytest.param(STREAM + polls(1, 3, ONE, C0) + [("event", 3.5, "restart", B, "crashy")]
                 + polls(4, 8, ONE, C0),
                 {("crashy", "restart"): 1},
                 id="an event for an unseen kernel of an installed spec counts"),
    pytest.param(STREAM + polls(1, 3, ONE, None) + [("event", 3.5, "restart", A)]
                 + polls(4, 8, ONE, None),
                 {("python3", "restart"): 1},
                 id="fallback without request metrics: every restart counts"),
    pytest.param(polls(1, 3, ONE, C0) + polls(3, 4, {}, (0, 0, 0, 0, 1)) + polls(4, 8, {},
                                                                             (0, 0, 0, 0, 1)),
                 {}, id="fallback without events: a DELETE in the request metrics explains it"),
    pytest.param(polls(1, 3, ONE, C0) + polls(3, 8, {}, C0),
                 {("python3", "death"): 1},
                 id="fallback without events: an unexplained vanish is a death"),
    pytest.param(polls(1, 3, ONE, None) + polls(3, 8, {}, None),
                 {}, id="with neither events nor request metrics nothing is judged"),
    pytest.param([("stream", 2.5, True), *polls(1, 3, ONE, C0), *polls(3, 8, {}, C0)],
                 {("python3", "death"): 1},
                 id="a stream that came up mid-window is not trusted: the fallback decides"),
]


@pytest.mark.parametrize(("steps", "crashes"), SCENARIOS)
def test_crash_accounting(steps: list[tuple[Any, ...]], crashes: dict[tuple[str, str], int]
                          ) -> None:
    assert dict(run(steps).crashes) == crashes


def test_starts_count_new_kernels_once_and_not_the_baseline() -> None:
    acc = run(STREAM + polls(1, 3, ONE, C0) + [("event", 3.1, "start", B)]
              + polls(4, 5, {A: "python3", B: "python3"}, C0)
              + [("event", 4.5, "shutdown", B)] + polls(5, 10, ONE, C0))
    assert dict(acc.starts) == {"python3": 1}
    assert dict(acc.crashes) == {}


def test_user_saves_exclude_the_probes_own_puts() -> None:
    acc = run(polls(1, 2, {}, C0) + [("probe_put", 1.5, naming.SAVE_SUCCESS)] * 2
              + polls(2, 3, {}, (0, 3, 1, 2, 0)))
    assert dict(acc.saves) == {naming.SAVE_SUCCESS: 1, naming.SAVE_FAILURE: 1}
    assert acc.auth_failures == 2


def test_a_server_restart_resets_the_baseline_without_deaths() -> None:
    acc = accounting.Accounting()
    acc = accounting.on_stream(acc, True, 0.0)
    for t in range(1, 4):
        acc = accounting.on_poll(acc, view(ONE, (0, 5, 0, 0, 0), started=1.0), frozenset(), t)
    for t in range(4, 9):
        acc = accounting.on_poll(acc, view({B: "python3"}, (0, 2, 0, 0, 0), started=4.0),
                                 frozenset(), t)
    assert dict(acc.crashes) == {}
    assert acc.saves[naming.SAVE_SUCCESS] == 2  # counts since the new process started


def test_forged_event_floods_are_bounded() -> None:
    acc = accounting.on_stream(accounting.Accounting(), True, 0.0)
    outcomes = set()
    for i in range(accounting.MAX_PENDING + 50):
        kid = f"{i:08x}-0000-4000-8000-000000000000"
        acc, outcome = accounting.on_event(acc, KernelEvent("restart", "success", kid, "x", 1))
        acc, _ = accounting.on_event(acc, KernelEvent("shutdown", "success", kid, "x", 1))
        outcomes.add(outcome)
    assert len(acc.pending) == accounting.MAX_PENDING
    assert len(acc.shutdowns) <= accounting.MAX_SHUTDOWNS
    assert naming.EVENT_DROPPED in outcomes
