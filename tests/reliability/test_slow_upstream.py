"""A slow upstream: a delaying reverse proxy (proxy.py) between the exporter and a real
Jupyter Server. Polls slow down or time out, but `/metrics` keeps its latency, because a
scrape reads the last snapshot and never waits on a server.

The baseline is measured on the same rig with the delay at 0, just before each row, so the
comparison is on one machine under the same load. Bounds are generous for a noisy 2-core
machine; the contrast they guard is the delay itself (hundreds of ms to seconds).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from exporter import naming
from tests.exporter.metrics import value
from tests.exporter.servers import ExporterProcess, JupyterServer, wait_until
from tests.reliability import ledger
from tests.reliability.loopthread import LoopThread
from tests.reliability.measure import exporter_for, median, quantile, scrape_seconds
from tests.reliability.proxy import DelayProxy

pytestmark = pytest.mark.real

POLL = 1.0  # the request timeout is then 1 s: 3 s of delay makes every request time out
SCRAPES = 60


@dataclass
class Rig:
    loop: LoopThread
    proxy: DelayProxy
    exporter: ExporterProcess

    def set_delay(self, seconds: float) -> None:
        self.loop.call(lambda: setattr(self.proxy, "delay", seconds))

    def scrapes(self) -> list[float]:
        return scrape_seconds(self.exporter.url + "metrics", SCRAPES, pause=0.05)


@pytest.fixture(scope="module")
def rig(jupyter: JupyterServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:
    loop = LoopThread()
    proxy = DelayProxy(jupyter.url)
    loop.run(proxy.start())
    exporter = exporter_for(proxy.url, jupyter.token, tmp_path_factory.mktemp("slow"),
                            f"--poll-interval={POLL}s", "--no-collector.node")
    try:
        wait_until(lambda: value(exporter.metrics_text(), naming.UP.name) == 1, 20, "up")
        yield Rig(loop, proxy, exporter)
    finally:
        exporter.stop()
        loop.run(proxy.stop())
        loop.close()


def _timeouts(rig: Rig) -> float:
    return value(rig.exporter.metrics_text(), naming.POLL_ERRORS.name,
                 reason=naming.REASON_TIMEOUT) or 0.0


@pytest.mark.timeout(120)
@pytest.mark.parametrize(("delay", "polls"), [
    pytest.param(0.3, "succeed", id="300 ms per request: polls slow down and still succeed"),
    pytest.param(0.8, "reach the proxy",
                 id="800 ms per request: polls just inside the 1 s timeout"),
    pytest.param(3.0, "time out", id="3 s per request: every poll times out"),
])
def test_scrape_latency_stays_flat_while_upstream_is_slow(
        rig: Rig, delay: float, polls: str) -> None:
    rig.set_delay(0.0)
    wait_until(lambda: value(rig.exporter.metrics_text(), naming.UP.name) == 1, 30, "healthy")
    base = rig.scrapes()
    with ledger.fault(f"upstream slowed by {delay * 1000:.0f} ms per request") as row:
        row.injected += 1
        timeouts = _timeouts(rig)
        forwarded = rig.loop.call(lambda: rig.proxy.forwarded)
        rig.set_delay(delay)
        try:
            wait_until(lambda: rig.loop.call(lambda: rig.proxy.in_flight) > 0, 10,
                       "a request held by the proxy", 0.02)
            last_poll = value(rig.exporter.metrics_text(), naming.LAST_POLL.name)
            slow = rig.scrapes()
            text = rig.exporter.metrics_text()
            if polls == "time out":  # the exporter gives up before the proxy forwards
                assert _timeouts(rig) > timeouts, "the delay must reach the exporter's polls"
                assert value(text, naming.UP.name) == 0
            else:
                assert rig.loop.call(lambda: rig.proxy.forwarded) > forwarded
            if polls == "succeed":
                assert _timeouts(rig) == timeouts
                assert value(text, naming.UP.name) == 1
                assert value(text, naming.LAST_POLL.name) > last_poll, "polls went on"
        finally:
            rig.set_delay(0.0)
        base50, base99 = median(base), quantile(base, 0.99)
        slow50, slow99 = median(slow), quantile(slow, 0.99)
        assert slow50 <= 2 * base50 + 0.015, (base, slow)
        assert slow99 <= max(0.2, 3 * base99), (base, slow)
        assert slow99 < delay, "a scrape waited on the upstream"
        row.survived += 1
        row.lost(f"scrape p50 {base50 * 1e3:.1f}->{slow50 * 1e3:.1f} ms, p99 "
                 f"{base99 * 1e3:.1f}->{slow99 * 1e3:.1f} ms; "
                 f"{_timeouts(rig) - timeouts:.0f} polls timed out")
    wait_until(lambda: value(rig.exporter.metrics_text(), naming.UP.name) == 1, 30, "recovery")


