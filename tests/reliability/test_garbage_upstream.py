"""Upstream answering garbage, and tokens it no longer accepts: each fault becomes a poll
error with the documented reason, the exporter keeps serving, and once the upstream is
healthy again the very same series come back (none lost for good, none stale).

One fake upstream (the fleet simulator, `FaultySim`) and one exporter subprocess serve the
whole module; each row switches the fault on, waits for two failed polls, switches it off
and waits for recovery, `FLIPS` times.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from exporter import naming
from tests.exporter.metrics import value
from tests.exporter.servers import ExporterProcess, wait_until
from tests.reliability import ledger
from tests.reliability.loopthread import LoopThread
from tests.reliability.measure import exporter_for, series, total
from tests.reliability.upstreams import FaultySim, single_url

POLL = 0.3  # seconds; the exporter's request timeout is then its floor, 1 s
FLIPS = 3  # each fault is switched on and off this many times


@dataclass
class Rig:
    loop: LoopThread
    sim: FaultySim
    exporter: ExporterProcess

    def metrics(self) -> str:
        return self.exporter.metrics_text()

    def set_fault(self, fault: str | None, only: str | None = None) -> None:
        def change() -> None:
            self.sim.fault, self.sim.only = fault, only
        self.loop.call(change)


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:
    loop = LoopThread()
    sim = FaultySim(servers=1, kernels=3, named_every=0, ports=1)
    loop.run(sim.start())
    exporter = exporter_for(single_url(sim), sim.hub_token, tmp_path_factory.mktemp("garbage"),
                            f"--poll-interval={POLL}s", "--no-collector.node")
    try:
        yield Rig(loop, sim, exporter)
    finally:
        exporter.stop()
        loop.run(sim.stop())
        loop.close()


def _up(rig: Rig) -> bool:
    text = rig.metrics()
    return value(text, naming.UP.name) == 1 and total(text, naming.KERNELS.name) == 3


@pytest.mark.timeout(90)
@pytest.mark.parametrize(("fault", "reason"), [
    pytest.param("html-502", naming.REASON_HTTP_5XX,
                 id="an HTML 502 page from a gateway is an http_5xx poll error"),
    pytest.param("html-200", naming.REASON_BAD_PAYLOAD,
                 id="an HTML login page with status 200 is a bad payload"),
    pytest.param("truncated-json", naming.REASON_BAD_PAYLOAD,
                 id="half a JSON document with a matching length is a bad payload"),
    pytest.param("cut-connection", naming.REASON_REFUSED,
                 id="a body cut off mid-way by a dropped connection counts as refused"),
    pytest.param("wrong-shape", naming.REASON_BAD_PAYLOAD,
                 id="a 200 with JSON of the wrong shape is a bad payload"),
    pytest.param("json-null", naming.REASON_BAD_PAYLOAD,
                 id="a 200 whose JSON is null is a bad payload"),
    pytest.param("huge-body", naming.REASON_BAD_PAYLOAD,
                 id="a body past the 8 MiB cap is a bad payload, not a memory spike"),
    pytest.param("token-expired-403", naming.REASON_AUTH,
                 id="a token the server stopped accepting (403) is an auth error"),
    pytest.param("token-wrong-401", naming.REASON_AUTH,
                 id="a token the server never knew (401) is an auth error"),
])
def test_garbage_is_a_poll_error_and_the_same_series_come_back(
        rig: Rig, fault: str, reason: str) -> None:
    wait_until(lambda: _up(rig), 20, "the fake upstream polled healthy")
    before = rig.metrics()
    failed_before = value(before, naming.POLL_ERRORS.name, reason=reason) or 0.0
    with ledger.fault(f"upstream garbage: {fault}") as row:
        for _ in range(FLIPS):
            row.injected += 1
            rig.set_fault(fault)
            try:
                during = wait_until(
                    lambda: (text := rig.metrics())
                    and (value(text, naming.POLL_ERRORS.name, reason=reason) or 0)
                    >= failed_before + 2 * row.injected
                    and value(text, naming.UP.name) == 0 and text, 20,
                    f"two more {reason} poll errors and jupyter_up 0")
                with urllib.request.urlopen(rig.exporter.url + "healthz", timeout=5) as resp:
                    assert resp.status == 200
            finally:
                rig.set_fault(None)
            after = wait_until(lambda: _up(rig) and rig.metrics(), 20, "recovery")
            assert rig.exporter.proc.poll() is None, "the exporter must keep running"
            assert series(after) == series(before), "recovery must bring back the same series"
            other = {r: (value(after, naming.POLL_ERRORS.name, reason=r) or 0)
                     - (value(before, naming.POLL_ERRORS.name, reason=r) or 0)
                     for r in naming.POLL_ERROR_REASONS if r != reason}
            assert not any(other.values()), f"only {reason} may be counted, got {other}"
            row.survived += 1
        failed = (value(after, naming.POLL_ERRORS.name, reason=reason) or 0) - failed_before
        hidden = len(series(before) - series(during))
        row.lost(f"{failed:.0f} polls ({reason}); {hidden} series hidden while down")
    assert rig.sim.hub_token not in rig.exporter.log_text() + after


@pytest.mark.timeout(60)
def test_garbage_on_the_servers_own_metrics_degrades_only_that_collector(rig: Rig) -> None:
    wait_until(lambda: _up(rig), 20, "the fake upstream polled healthy")
    with ledger.fault("upstream garbage: HTML on its own /metrics only") as row:
        row.injected += 1
        rig.set_fault("html-200", only="metrics")
        try:
            text = wait_until(
                lambda: (t := rig.metrics()) and value(
                    t, naming.COLLECTOR_SUCCESS.name,
                    collector=naming.COLLECTOR_SERVER_METRICS) == 0 and t, 20,
                "server_metrics collector success 0")
            assert value(text, naming.UP.name) == 1, "REST still answers: the target is up"
            assert total(text, naming.KERNELS.name) == 3
        finally:
            rig.set_fault(None)
        wait_until(lambda: value(rig.metrics(), naming.COLLECTOR_SUCCESS.name,
                                 collector=naming.COLLECTOR_SERVER_METRICS) == 1, 20,
                   "server_metrics back to success 1")
        row.lost("request counts (saves, auth failures) while /metrics was garbage")
        row.survived += 1

