"""A flood of forged events on the event stream (`/api/events/subscribe`): the exporter's
memory and its series stay bounded, no forged name or id reaches a label, scrapes keep
answering, and an oversized frame costs only a reconnect.

The fake upstream is the fleet simulator's server (`EventSim`), whose stream the test
writes to directly; the exporter is a subprocess watching it as a plain `--jupyter-url`.
"""

from __future__ import annotations

import re
import time
import uuid
from pathlib import Path

import pytest

from exporter import naming
from exporter.config import Target
from exporter.engine import TargetWorker
from exporter.model import PollResult, ServerView
from tests.exporter.inprocess import config_for
from tests.exporter.metrics import samples, value
from tests.exporter.servers import wait_until
from tests.reliability import ledger
from tests.reliability.forged import HOSTILE_NAMES, forged, oversized
from tests.reliability.loopthread import LoopThread
from tests.reliability.measure import (
    exporter_for,
    median,
    quantile,
    rss_mib,
    scrape_seconds,
    series,
    total,
)
from tests.reliability.upstreams import EventSim, kernel_event, single_url

WARMUP, BATCH, BATCHES = 20_000, 25_000, 8  # 220,000 forged messages in all
FLOOD_SECONDS = 120.0  # hard bound on the flood itself
RSS_GROWTH_MIB = 30.0  # after warm-up: a leak of 150 bytes per message would show as 30 MiB
INSTALLED = {"python3", "ir"}
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-")


@pytest.mark.real
@pytest.mark.timeout(300)
def test_forged_event_flood_keeps_memory_and_series_bounded(tmp_path: Path) -> None:
    loop = LoopThread()
    sim = EventSim(servers=1, kernels=4, named_every=0, ports=1)
    loop.run(sim.start())
    label = next(iter(sim.servers.values())).label
    exp = exporter_for(single_url(sim), sim.hub_token, tmp_path, "--poll-interval=0.5s",
                       "--no-collector.node")
    try:
        with ledger.fault("event stream: forged events") as row:
            wait_until(lambda: value(exp.metrics_text(), naming.EVENT_STREAM_UP.name) == 1
                       and value(exp.metrics_text(), naming.UP.name) == 1, 30, "stream up")
            row.injected += WARMUP
            loop.run(sim.emit(label, forged(WARMUP, seed=1)), timeout=FLOOD_SECONDS)
            wait_until(lambda: total(exp.metrics_text(), naming.EVENTS.name) >= WARMUP, 30,
                       "the warm-up received")
            time.sleep(4)  # grace: buffered events are judged and the buffers settle
            base_text, base_rss = exp.metrics_text(), rss_mib(exp.proc.pid)
            rss, latencies = [base_rss], []
            deadline = time.monotonic() + FLOOD_SECONDS
            for batch in range(BATCHES):
                assert time.monotonic() < deadline, "the flood ran past its time bound"
                row.injected += BATCH
                future = loop.submit(sim.emit(label, forged(BATCH, seed=10 + batch)))
                latencies += scrape_seconds(exp.url + "metrics", 5, pause=0.05)
                future.result(FLOOD_SECONDS)
                rss.append(rss_mib(exp.proc.pid))
            sent = WARMUP + BATCH * BATCHES
            wait_until(lambda: total(exp.metrics_text(), naming.EVENTS.name) >= sent, 60,
                       "every forged message received and counted")
            time.sleep(4)
            end_text, end_rss = exp.metrics_text(), rss_mib(exp.proc.pid)
            rss.append(end_rss)
            assert exp.proc.poll() is None
            assert value(end_text, naming.UP.name) == 1
            assert end_rss - base_rss <= RSS_GROWTH_MIB, f"RSS MiB over the flood: {rss}"
            new = series(end_text) - series(base_text)
            kernel_names = {labels.get("kernel_name") for _, labels, _ in samples(end_text)
                            if "kernel_name" in labels}
            assert kernel_names <= INSTALLED, f"forged names reached labels: {kernel_names}"
            assert len(new) <= 2 * len(INSTALLED), f"new series from forged events: {new}"
            values = {v for _, labels, _ in samples(end_text) for v in labels.values()}
            assert not values & set(HOSTILE_NAMES), "a forged name reached a label value"
            assert not any(UUID.search(v) for v in values), "a forged kernel id became a label"
            dropped = value(end_text, naming.EVENTS.name, outcome=naming.EVENT_DROPPED) or 0
            ignored = value(end_text, naming.EVENTS.name, outcome=naming.EVENT_IGNORED) or 0
            assert ignored >= sent * 4 / 8 - 1, "the malformed and foreign events are ignored"
            row.survived = row.injected
            moved = total(end_text, naming.KERNEL_CRASHES.name) \
                + total(end_text, naming.KERNEL_STARTS.name)
            p99 = quantile(latencies, 0.99)
            row.lost(f"RSS +{end_rss - base_rss:.1f} MiB; {len(new)} new series; {dropped:.0f} "
                     f"dropped at the buffer cap; {moved:.0f} counter moves under an installed "
                     f"kernelspec name (documented); scrape p50 {median(latencies) * 1e3:.0f} "
                     f"ms, p99 {p99 * 1e3:.0f} ms during the flood"
                    )

        with ledger.fault("event stream: frame over 64 KiB") as row:
            for _ in range(2):
                row.injected += 1
                received = total(exp.metrics_text(), naming.EVENTS.name)
                connects = loop.call(lambda: sim.connects)
                loop.run(sim.emit(label, [oversized()]))
                wait_until(lambda c=connects: loop.call(lambda: sim.connects) > c
                           and value(exp.metrics_text(), naming.EVENT_STREAM_UP.name) == 1, 30,
                           "the stream reconnected")
                assert total(exp.metrics_text(), naming.EVENTS.name) == received, \
                    "an oversized frame is refused whole, never counted"
                row.survived += 1
            row.lost("the frame itself and events sent while reconnecting")
    finally:
        exp.stop()
        loop.run(sim.stop())
        loop.close()


def _worker_after_forged_starts(starts: int) -> tuple[TargetWorker, ServerView]:
    """A worker fed, through its real message path, `starts` forged `start` events that
    name the installed kernelspec, with a poll between every 4,096 (the buffer cap)."""
    target = Target("dev", "http://127.0.0.1:9/", None)
    worker = TargetWorker(target, config_for(target, poll_interval=0.5), instance="rel00000")
    view = ServerView(version="2.21.1", started=1.0, last_activity=1.0, kernels=(), sessions=(),
                      terminals=0, kernelspecs=frozenset(INSTALLED), request_counts=None)
    now = 1_000.0
    worker.on_stream(True)
    worker.apply(PollResult(at=now, view=view))
    for i in range(starts):
        now += 0.0001
        worker.on_message(kernel_event("start", str(uuid.UUID(int=i, version=4)), "python3"),
                          now)
        if i % 4096 == 4095:
            worker.apply(PollResult(at=now + 5, view=view))
    return worker, view


@pytest.mark.timeout(120)
def test_one_poll_after_a_forged_start_flood_does_not_block_the_loop() -> None:
    worker, view = _worker_after_forged_starts(4096)
    for _ in range(4096):
        worker.on_message(kernel_event("start", str(uuid.uuid4()), "python3"), 2_000.0)
    started = time.perf_counter()
    worker.apply(PollResult(at=2_005.0, view=view))
    elapsed = time.perf_counter() - started
    assert len(worker.state.accounting.gone) <= 4096
    assert elapsed < 0.1, f"one poll's accounting took {elapsed:.2f} s with the loop blocked"
