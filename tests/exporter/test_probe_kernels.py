"""`jupyter_probe_kernels`: probe kernels the last poll still found on a target.

Pure collector tests on hand-made states; the real server's side (a probe kernel seen by a
poll mid-probe, counted here and left out of the user gauges) is in test_probes_real.py.
"""

from __future__ import annotations

import pytest

from exporter import naming
from exporter.collectors.base import ExporterView
from exporter.collectors.probes import render_kernel_probe
from exporter.model import Kernel, ServerView, Session
from exporter.probes.kernel import PROBE_SESSION_PREFIX
from exporter.state import TargetState

USER, MINE, LEFT, GONE = "user-kernel", "probe-just-created", "probe-left-behind", "probe-gone"


def _state(kernels: tuple[str, ...], probe_sessions: tuple[str, ...] = (),
           noted: frozenset[str] = frozenset(), up: bool = True) -> TargetState:
    sessions = (Session("s-user", "work.ipynb", USER),
                *(Session(f"s-{k}", f"{PROBE_SESSION_PREFIX}old-{k}.ipynb", k)
                  for k in probe_sessions))
    view = ServerView("2.21.1", None, None,
                      tuple(Kernel(k, "python3", "idle", 0, None) for k in kernels), sessions,
                      None, frozenset({"python3"}), None)
    return TargetState(name="dev", up=up, view=view, probe_kernels=noted)


def _gauge(state: TargetState, probes_enabled: bool) -> float | None:
    view = ExporterView((state,), 0.0, 1800.0, "test", "python3", probes_enabled)
    families = {f.name: f for f in render_kernel_probe(view).families}
    found = families[naming.PROBE_KERNELS.name].samples
    assert len(found) <= 1
    return found[0].value if found else None


@pytest.mark.parametrize(("state", "probes_enabled", "expected"), [
    pytest.param(_state((USER,)), True, 0, id="no probe kernel reads 0"),
    pytest.param(_state((USER, MINE), noted=frozenset({MINE})), True, 1,
                 id="a probe kernel known by id before its session is listed counts"),
    pytest.param(_state((USER, LEFT), probe_sessions=(LEFT,)), True, 1,
                 id="a kernel of a probe session left by an earlier run counts"),
    pytest.param(_state((USER,), noted=frozenset({GONE})), True, 0,
                 id="a remembered probe kernel the server no longer lists does not count"),
    pytest.param(_state((USER, MINE, "l1", "l2"), probe_sessions=("l1", "l2", MINE),
                        noted=frozenset({MINE})), True, 3,
                 id="each probe kernel counts once, however it is known"),
    pytest.param(_state((USER,)), False, None,
                 id="with probes off and none found there is no series"),
    pytest.param(_state((USER, LEFT), probe_sessions=(LEFT,)), False, 1,
                 id="with probes off a leftover is still reported"),
    pytest.param(_state((USER, LEFT), probe_sessions=(LEFT,), up=False), True, None,
                 id="an unreachable target has no series: its kernel list is stale"),
])
def test_probe_kernels_gauge(state: TargetState, probes_enabled: bool,
                             expected: float | None) -> None:
    assert _gauge(state, probes_enabled) == expected
