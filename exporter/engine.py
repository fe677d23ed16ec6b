"""Background work per target: the poll loop, the event subscriber and the probe loop.

Each `TargetWorker` owns its target's one `JupyterClient` and the only reference to its
current `TargetState`, which it replaces whole after every poll, event or probe. The HTTP
app reads `Engine.view()` and never awaits a server. All loops sleep between iterations and
end only on cancellation; on cancellation the probes' clean-ups are drained before the
client session closes, so a SIGTERM leaves no probe kernel behind.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from exporter import accounting, naming
from exporter.collectors.base import ExporterView
from exporter.config import ExporterConfig, Target
from exporter.model import PollResult
from exporter.probes import kernel as kernel_probe
from exporter.probes import save as save_probe
from exporter.probes.cleanup import Cleanups
from exporter.sources.client import JupyterClient
from exporter.sources.events import subscribe
from exporter.sources.parse import parse_event, version_at_least
from exporter.sources.poll import poll
from exporter.state import (
    TargetState,
    apply_poll,
    count_event,
    record_save_probe,
    record_startup_probe,
)

log = logging.getLogger("exporter.engine")

KERNEL_EVENTS_SINCE = (2, 6)  # jupyter_server added kernel_actions events in 2.6.0
DRAIN_TIMEOUT = 20.0
RECENT_PROBES = 64


class TargetWorker:
    def __init__(self, target: Target, config: ExporterConfig, instance: str,
                 clock: Callable[[], float] = time.time) -> None:
        self.target = target
        self.config = config
        self.instance = instance
        self.clock = clock
        self.state = TargetState(name=target.name)
        self.cleanups = Cleanups()
        self.client: JupyterClient | None = None
        self.polled = asyncio.Event()  # set after every poll, for callers that wait on one
        self._recent_probes: collections.deque[str] = collections.deque(maxlen=RECENT_PROBES)
        self._reaped = False
        self._scratch_used = False
        self._params = accounting.Params(credit_ttl=max(45.0, 3 * config.poll_interval + 5))

    # --- state updates (synchronous, on the event loop) ---------------------------------
    def _set(self, state: TargetState) -> None:
        self.state = state

    def _events_reliable(self) -> bool:
        view = self.state.view
        return (self.state.stream_up and view is not None
                and version_at_least(view.version, KERNEL_EVENTS_SINCE))

    def apply(self, result: PollResult) -> None:
        before = self.state
        state = apply_poll(before, result)
        if result.view is not None:
            acc = accounting.on_stream(state.accounting, self._events_reliable(), result.at)
            acc = accounting.on_poll(acc, result.view, self.probe_ids(), result.at,
                                     self._params)
            state = replace(state, accounting=acc)
        self._set(state)
        self._log_transition(before, state, result)

    def _log_transition(self, before: TargetState, after: TargetState,
                        result: PollResult) -> None:
        extra: dict[str, Any] = {"server": self.target.name}
        if after.up and not before.up:
            log.info("target up", extra={**extra, "version": after.view and after.view.version})
        elif not after.up and (before.up or before.last_error != after.last_error):
            log.warning("poll failed", extra={**extra, "reason": after.last_error,
                                              "error": result.detail})
        if result.metrics_error and result.metrics_error != before.metrics_error:
            log.warning("server /metrics unreadable; saves and crash accounting degrade",
                        extra={**extra, "reason": result.metrics_error})

    def on_stream(self, up: bool) -> None:
        acc = self.state.accounting
        if not up:
            acc = accounting.on_stream(acc, False, self.clock())
        self._set(replace(self.state, stream_up=up, accounting=acc))

    def on_message(self, payload: Any, received: float) -> None:
        event = parse_event(payload, received)
        if event is None:
            self._set(count_event(self.state, naming.EVENT_IGNORED))
            return
        acc, outcome = accounting.on_event(self.state.accounting, event)
        self._set(count_event(replace(self.state, accounting=acc), outcome))

    def probe_ids(self) -> frozenset[str]:
        view = self.state.view
        from_sessions = kernel_probe.probe_kernel_ids(view.sessions) if view else frozenset()
        return frozenset(self._recent_probes) | from_sessions

    def _note_probe_kernel(self, kernel_id: str) -> None:
        self._recent_probes.append(kernel_id)
        self._set(replace(self.state, probe_kernels=frozenset(self._recent_probes)))

    # --- loops ----------------------------------------------------------------------------
    async def poll_once(self) -> PollResult:
        assert self.client is not None
        read_metrics = bool(self.config.collectors & {
            naming.COLLECTOR_CRASHES, naming.COLLECTOR_SERVER_METRICS})
        result = await poll(self.client, read_metrics, self.clock)
        self.apply(result)
        if result.view is not None and not self._reaped:
            self._reaped = True
            reaped = await kernel_probe.reap(self.client, result.view.sessions,
                                             frozenset(self._recent_probes))
            if reaped:
                log.info("reaped probe kernels left by an earlier run",
                         extra={"server": self.target.name, "count": reaped})
        self.polled.set()
        self.polled = asyncio.Event()
        return result

    async def _guarded(self, work: Any, what: str) -> None:
        """A bug in one iteration is logged and the loop goes on: never a dead exporter."""
        try:
            await work
        except Exception:
            log.exception("unexpected error", extra={"server": self.target.name, "in": what})

    async def _poll_loop(self) -> None:
        while True:
            started = time.monotonic()
            await self._guarded(self.poll_once(), "poll")
            elapsed = time.monotonic() - started
            await asyncio.sleep(max(0.0, self.config.poll_interval - elapsed))

    async def run_kernel_probe(self) -> None:
        assert self.client is not None
        outcome = await kernel_probe.probe_kernel_start(
            self.client, self.config.probe_kernel_name, self.config.probe_timeout,
            self.instance, self.cleanups, on_kernel=self._note_probe_kernel)
        self._set(record_startup_probe(self.state, outcome.kernel_name, outcome.result,
                                       outcome.seconds))
        if outcome.result != naming.PROBE_SUCCESS:
            log.warning("kernel start probe failed", extra={
                "server": self.target.name, "result": outcome.result, "error": outcome.detail})

    async def run_save_probe(self) -> None:
        assert self.client is not None
        self._scratch_used = True
        outcome = await save_probe.probe_save(self.client, self.config.probe_timeout)
        acc = self.state.accounting
        for put in outcome.puts:
            acc = accounting.on_probe_put(acc, put)
        state = record_save_probe(replace(self.state, accounting=acc), outcome.result,
                                  outcome.seconds)
        self._set(state)
        if outcome.result != naming.SAVE_SUCCESS:
            log.warning("save probe failed",
                        extra={"server": self.target.name, "error": outcome.detail})

    async def _probe_loop(self) -> None:
        while not self._reaped:  # never probe before leftovers are reaped
            await asyncio.sleep(min(1.0, self.config.poll_interval))
        while True:
            if self.state.up:
                if naming.COLLECTOR_KERNEL_PROBE in self.config.collectors:
                    await self._guarded(self.run_kernel_probe(), "kernel probe")
                if naming.COLLECTOR_SAVE_PROBE in self.config.collectors:
                    await self._guarded(self.run_save_probe(), "save probe")
            await asyncio.sleep(self.config.probe_interval)

    async def run(self) -> None:
        async with JupyterClient(self.target, self.config.request_timeout) as client:
            self.client = client
            try:
                async with asyncio.TaskGroup() as group:
                    group.create_task(self._poll_loop())
                    if naming.COLLECTOR_CRASHES in self.config.collectors:
                        group.create_task(subscribe(client, self.on_message, self.on_stream,
                                                    self.clock))
                    if self.config.probe_interval > 0 and self.config.collectors & {
                            naming.COLLECTOR_KERNEL_PROBE, naming.COLLECTOR_SAVE_PROBE}:
                        group.create_task(self._probe_loop())
            finally:
                await self.close()

    async def close(self) -> None:
        await self.cleanups.drain(DRAIN_TIMEOUT)
        if self._scratch_used and self.client is not None:
            await asyncio.wait({asyncio.ensure_future(save_probe.remove_scratch(self.client))},
                               timeout=10.0)


class Engine:
    """All workers, and the one read path the HTTP app uses."""

    def __init__(self, config: ExporterConfig, version: str,
                 clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self.version = version
        self.clock = clock
        self.instance = uuid.uuid4().hex[:8]
        self.workers = tuple(TargetWorker(t, config, self.instance, clock)
                             for t in config.targets)

    def view(self) -> ExporterView:
        return ExporterView(
            targets=tuple(w.state for w in self.workers), now=self.clock(),
            idle_threshold=self.config.idle_threshold, version=self.version,
            probe_kernel_name=self.config.probe_kernel_name,
            probes_enabled=self.config.probe_interval > 0)

    async def run(self) -> None:
        async with asyncio.TaskGroup() as group:
            for worker in self.workers:
                group.create_task(worker.run())
