"""Background work: poll cycles over all targets, and per target the event subscriber and
the probe loop; in Hub mode also the fleet refresh; with host collectors the host sampler.

Each `TargetWorker` owns its target's one `JupyterClient` and the only reference to its
current `TargetState`, which it replaces whole after every poll, event or probe. The
`Engine` runs one poll cycle per `--poll-interval`: refresh the fleet when due (Hub mode),
start workers for new servers and drop those gone (their series leave the view at once),
then poll every worker with at most `max_concurrency` polls in flight and a time limit per
server. Each worker's heavy polls (terminals, the server's /metrics) fall at an offset from a
stable hash of its name (`poll_phases`), so at fleet scale every cycle carries about
1/heavy_every of that work rather than all of it every heavy_every-th cycle. The HTTP app
reads `Engine.view()` and never awaits a server. All loops sleep between iterations and end
only on cancellation; on cancellation the probes' clean-ups are drained before the client
session closes, so a SIGTERM leaves no probe kernel behind.
"""

from __future__ import annotations

import asyncio
import collections
import hashlib
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import aiohttp

from exporter import accounting, naming
from exporter.collectors.base import ExporterView
from exporter.config import HOST_COLLECTORS, NOTEBOOK_COLLECTORS, ExporterConfig, Target
from exporter.fleet import FleetSource
from exporter.host import HostSampler
from exporter.model import HostSnapshot, PollResult
from exporter.notebooks import paths as notebook_paths
from exporter.notebooks import stats as notebook_stats
from exporter.notebooks.watch import NotebookWatch
from exporter.probes import kernel as kernel_probe
from exporter.probes import save as save_probe
from exporter.probes.cleanup import Cleanups
from exporter.scheduler_jobs import absent, fold
from exporter.sharding import Shard
from exporter.sources.client import JupyterClient, classify
from exporter.sources.events import subscribe
from exporter.sources.parse import parse_event, version_at_least
from exporter.sources.poll import POLL_ERRORS, PollMemo, poll
from exporter.sources.scheduler import ABSENT_EVERY, read_jobs
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
# Version and kernelspecs are re-read at least every META_EVERY polls (8 minutes at 15 s),
# besides on (re)connect, after a server restart and when a kernel names an unknown spec
# (exporter.sources.poll): a kernelspec installed with no kernel of it yet shows up that late.
META_EVERY = 32


def poll_phases(name: str, heavy_every: int) -> tuple[int, int]:
    """(heavy phase, meta phase) for a server: where in its poll count its heavy polls and
    its version/kernelspec re-reads fall. Derived from a stable hash of the name, so at fleet
    scale each cycle carries about 1/heavy_every of the heavy work instead of all of it
    every heavy_every-th cycle. Salted, so it is independent of `--shard` (sha256 of the
    bare name): with as many shards as heavy_every, an unsalted hash would give a whole
    shard one phase."""
    digest = hashlib.blake2b(name.encode(), digest_size=8, person=b"jslo-phase").digest()
    value = int.from_bytes(digest, "big")
    return value % max(1, heavy_every), (value // max(1, heavy_every)) % META_EVERY


class TargetWorker:
    def __init__(self, target: Target, config: ExporterConfig, instance: str,
                 clock: Callable[[], float] = time.time,
                 session: aiohttp.ClientSession | None = None) -> None:
        self.target = target
        self.config = config
        self.instance = instance
        self.clock = clock
        self.state = TargetState(name=target.name)
        self.cleanups = Cleanups()
        self.client: JupyterClient | None = None
        if session is not None:
            self.client = JupyterClient(target, config.request_timeout, session)
        self.polled = asyncio.Event()  # set after every poll, for callers that wait on one
        self._recent_probes: collections.deque[str] = collections.deque(maxlen=RECENT_PROBES)
        self._reaped = False
        self._scratch_used = False
        self._polls = 0
        self._notebooks: NotebookWatch | None = None
        self._scheduler_reads = 0
        self._memo = PollMemo()
        self._heavy_phase, self._meta_phase = poll_phases(target.name, config.heavy_every)
        # Request counts arrive only every heavy_every-th poll: events wait that long before
        # they are judged, so a user restart's credit is there when its event is. Staggering
        # (poll_phases) moves when a server's heavy polls fall, never how far apart they are.
        heavy_period = max(1, config.heavy_every) * config.poll_interval
        self._params = accounting.Params(grace=2.0 + heavy_period - config.poll_interval,
                                         credit_ttl=max(45.0, 3 * heavy_period + 5))

    # --- state updates (synchronous, on the event loop) ---------------------------------
    def _set(self, state: TargetState) -> None:
        self.state = state

    def _events_reliable(self) -> bool:
        view = self.state.view
        return (self.state.stream_up and view is not None
                and version_at_least(view.version, KERNEL_EVENTS_SINCE))

    def apply(self, result: PollResult) -> None:
        before = self.state
        acc = None
        if result.view is not None:
            # Judged on the state before this poll, as the stream's state is.
            acc = accounting.on_stream(before.accounting, self._events_reliable(), result.at)
            acc = accounting.on_poll(acc, result.view, self.probe_ids(), result.at,
                                     self._params)
        state = apply_poll(before, result, acc)
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
        if self._notebooks is not None and notebook_paths.is_save_event(payload):
            self._set(count_event(self.state, self.on_save_event(payload)))
            return
        event = parse_event(payload, received)
        if event is None:
            self._set(count_event(self.state, naming.EVENT_IGNORED))
            return
        acc, outcome = accounting.on_event(self.state.accounting, event)
        self._set(count_event(replace(self.state, accounting=acc), outcome))

    def on_save_event(self, payload: Any) -> str:
        """Queue a safe path for look-up; the event's outcome for `jupyter_exporter_events_total`.
        An unsafe (forged) path is `ignored` and never fetched; a full queue `dropped`."""
        assert self._notebooks is not None
        path = notebook_paths.save_event_path(payload)
        if path is None:
            return naming.EVENT_IGNORED
        return naming.EVENT_ACCEPTED if self._notebooks.offer(path) else naming.EVENT_DROPPED

    def on_lookup(self, lookup: notebook_stats.Lookup) -> None:
        keep = naming.COLLECTOR_NOTEBOOK_PATHS in self.config.collectors
        notebooks = notebook_stats.record(self.state.notebooks, lookup, self.clock(), keep)
        self._set(replace(self.state, notebooks=notebooks))

    def watch_notebooks(self, client: JupyterClient) -> NotebookWatch | None:
        """The save-event look-ups, when a notebook collector is on."""
        if not self.config.collectors & NOTEBOOK_COLLECTORS:
            return None
        secrets = naming.COLLECTOR_NOTEBOOK_SECRETS in self.config.collectors
        self._notebooks = NotebookWatch(client, self.on_lookup, secrets)
        return self._notebooks

    async def read_scheduler(self) -> None:
        """One read of jupyter-scheduler's jobs; a 404 marks the server as having none."""
        assert self.client is not None
        try:
            jobs = await asyncio.wait_for(read_jobs(self.client),
                                          self.config.request_timeout + 1.0)
        except POLL_ERRORS as exc:
            log.warning("scheduler jobs unreadable", extra={"server": self.target.name,
                                                            "reason": classify(exc)})
            return
        state = self.state.jobs
        self._set(replace(self.state, jobs=absent(state) if jobs is None else fold(state, jobs)))

    async def _scheduler_loop(self) -> None:
        period = self.config.poll_interval * max(1, self.config.heavy_every)
        # Staggered like the heavy polls: a fleet's workers all start together, and without
        # the offset every server's read would land in the same cycle.
        await asyncio.sleep(self._heavy_phase * self.config.poll_interval)
        while True:
            absent_now = self.state.jobs.present is False
            if self.state.up and (not absent_now or self._scheduler_reads % ABSENT_EVERY == 0):
                await self._guarded(self.read_scheduler(), "scheduler jobs")
            self._scheduler_reads += 1
            await asyncio.sleep(period)

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
        up = self.state.up
        heavy = (self._polls + self._heavy_phase) % max(1, self.config.heavy_every) == 0 \
            or not up
        meta = (self._polls + self._meta_phase) % META_EVERY == 0 or not up
        result = await poll(self.client, read_metrics, self.clock, self.state.view, heavy,
                            memo=self._memo, refresh_meta=meta)
        if not heavy and result.view is not None:
            result = replace(result, metrics_error=self.state.metrics_error)
        self._polls = self._polls + 1 if result.view is not None else 0
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

    async def poll_bounded(self) -> None:
        """One poll under a time limit for the whole poll, so one hung server cannot hold
        a cycle; overrunning counts as a `timeout`. The requests run one after another on
        the server's one connection (usually 3, 5 on a heavy poll), each under its own
        `request_timeout`: a server that is slow on every request (more than about 3/5 of
        the timeout each on a heavy poll) runs into this limit."""
        limit = 3 * self.config.request_timeout + 1.0
        try:
            async with asyncio.timeout(limit):  # no extra task per poll, unlike wait_for
                await self._guarded(self.poll_once(), "poll")
        except TimeoutError:
            self.apply(PollResult(at=self.clock(), view=None, error=naming.REASON_TIMEOUT,
                                  detail=f"poll took longer than {limit:.0f}s"))

    async def _poll_loop(self) -> None:
        while True:
            started = time.monotonic()
            await self.poll_bounded()
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

    async def run(self, own_poll: bool = True) -> None:
        """The worker's background tasks; with `own_poll` False the engine drives polls."""
        if self.client is None:
            self.client = JupyterClient(self.target, self.config.request_timeout)
        client = self.client
        watch = self.watch_notebooks(client)
        try:
            async with asyncio.TaskGroup() as group:
                if own_poll:
                    group.create_task(self._poll_loop())
                if naming.COLLECTOR_CRASHES in self.config.collectors or watch is not None:
                    group.create_task(subscribe(client, self.on_message, self.on_stream,
                                                self.clock))
                if watch is not None:
                    group.create_task(watch.run())
                if naming.COLLECTOR_SCHEDULER_JOBS in self.config.collectors:
                    group.create_task(self._scheduler_loop())
                if self.target.probe and self.config.probe_interval > 0 \
                        and self.config.collectors & {naming.COLLECTOR_KERNEL_PROBE,
                                                      naming.COLLECTOR_SAVE_PROBE}:
                    group.create_task(self._probe_loop())
                if not own_poll:
                    group.create_task(asyncio.Event().wait())  # hold until cancelled
        finally:
            await self.close()
            await client.close()

    async def close(self) -> None:
        await self.cleanups.drain(DRAIN_TIMEOUT)
        if self._scratch_used and self.client is not None:
            await asyncio.wait({asyncio.ensure_future(save_probe.remove_scratch(self.client))},
                               timeout=10.0)


class Engine:
    """All workers, the poll cycle, and the one read path the HTTP app uses."""

    def __init__(self, config: ExporterConfig, version: str,
                 clock: Callable[[], float] = time.time, fleet: FleetSource | None = None,
                 host: HostSampler | None = None) -> None:
        self.config = config
        self.version = version
        self.clock = clock
        self.instance = uuid.uuid4().hex[:8]
        self.shard = Shard(config.shard_index, config.shard_count)
        self.fleet = fleet
        self.host = host
        self.host_snapshot: HostSnapshot | None = None
        self.hub_up: bool | None = None if fleet is None else False
        self.cycle_seconds: float | None = None
        self._session: aiohttp.ClientSession | None = None
        self._group: asyncio.TaskGroup | None = None
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self.workers: dict[str, TargetWorker] = {
            t.name: TargetWorker(t, config, self.instance, clock)
            for t in config.targets if self.shard.owns(t.name)}

    def view(self) -> ExporterView:
        return ExporterView(
            targets=tuple(self.workers[n].state for n in sorted(self.workers)),
            now=self.clock(), idle_threshold=self.config.idle_threshold, version=self.version,
            probe_kernel_name=self.config.probe_kernel_name,
            probes_enabled=self.config.probe_interval > 0, host=self.host_snapshot,
            hub_up=self.hub_up, poll_cycle_seconds=self.cycle_seconds)

    # --- fleet membership -----------------------------------------------------------------
    def _start(self, worker: TargetWorker) -> None:
        assert self._group is not None
        self._tasks[worker.target.name] = self._group.create_task(worker.run(own_poll=False))

    def reconcile(self, targets: tuple[Target, ...]) -> None:
        """Start workers for new servers, drop those gone or moved; a dropped server's
        series leave the very next scrape."""
        wanted = {t.name: t for t in targets}
        before = len(self.workers)
        changed = [n for n, w in self.workers.items() if wanted.get(n) != w.target]
        for name in changed:
            del self.workers[name]
            task = self._tasks.pop(name, None)
            if task is not None:
                task.cancel()
        for name, target in wanted.items():
            if name not in self.workers:
                worker = TargetWorker(target, self.config, self.instance, self.clock,
                                      session=self._session)
                self.workers[name] = worker
                self._start(worker)
        if changed or len(self.workers) != before:
            log.info("fleet changed", extra={"servers": len(self.workers),
                                             "dropped": len(changed)})

    # --- loops ----------------------------------------------------------------------------
    async def poll_all(self) -> None:
        limit = asyncio.Semaphore(max(1, self.config.max_concurrency))

        async def one(worker: TargetWorker) -> None:
            async with limit:
                if self.workers.get(worker.target.name) is worker:  # still in the fleet
                    await worker.poll_bounded()

        await asyncio.gather(*(one(w) for w in list(self.workers.values())))

    async def cycle(self, refresh: bool) -> None:
        started = time.monotonic()
        if refresh and self.fleet is not None:
            targets = await self.fleet.refresh()
            self.hub_up = targets is not None
            if targets is not None:
                self.reconcile(targets)
        await self.poll_all()
        self.cycle_seconds = time.monotonic() - started

    async def _cycle_loop(self) -> None:
        refresh_due = 0.0
        hub = self.config.hub
        while True:
            started = time.monotonic()
            refresh = started >= refresh_due
            if refresh and hub is not None:
                refresh_due = started + hub.refresh_interval - 0.001
            try:
                await self.cycle(refresh)
            except Exception:  # never a dead exporter
                log.exception("unexpected error", extra={"in": "poll cycle"})
            elapsed = time.monotonic() - started
            await asyncio.sleep(max(0.0, self.config.poll_interval - elapsed))

    async def _host_loop(self) -> None:
        assert self.host is not None
        while True:
            started = time.monotonic()
            try:
                self.host_snapshot = await self.host.sample()
            except Exception:
                log.exception("unexpected error", extra={"in": "host sampler"})
            await asyncio.sleep(max(0.0, self.config.poll_interval
                                    - (time.monotonic() - started)))

    async def run(self) -> None:
        if self.fleet is not None:
            # One session for the whole fleet (a session per server costs memory per server);
            # no connection cap here: the poll semaphore bounds requests, and each event
            # stream holds one connection for as long as it is open.
            self._session = aiohttp.ClientSession(
                headers={"User-Agent": "jupyter-slo-exporter"},
                timeout=aiohttp.ClientTimeout(total=None,
                                              sock_connect=min(self.config.request_timeout,
                                                               5.0)),
                connector=aiohttp.TCPConnector(limit=0, limit_per_host=0))
        try:
            async with asyncio.TaskGroup() as group:
                self._group = group
                for worker in self.workers.values():
                    self._start(worker)
                group.create_task(self._cycle_loop())
                if self.host is not None:
                    group.create_task(self._host_loop())
        finally:
            if self.fleet is not None:
                await self.fleet.close()
            if self._session is not None:
                await self._session.close()
            if self.host is not None:
                self.host.close()


def build_engine(config: ExporterConfig, version: str,
                 clock: Callable[[], float] = time.time) -> Engine:
    """The engine with the fleet source and host sampler the config asks for."""
    from pathlib import Path

    from exporter.sources.gpu import GpuReader

    fleet = None
    if config.hub is not None:
        fleet = FleetSource(config.hub, Shard(config.shard_index, config.shard_count),
                            config.request_timeout)
    host = None
    wanted = config.collectors & HOST_COLLECTORS
    if wanted:
        gpu = GpuReader(retry_after=config.gpu_retry) \
            if naming.COLLECTOR_GPU in wanted else None
        host = HostSampler(
            Path(config.procfs), Path(config.rootfs), gpu=gpu, timeout=config.host_timeout,
            processes=bool(wanted & {naming.COLLECTOR_KERNEL_RESOURCES, naming.COLLECTOR_GPU}),
            node_stats=naming.COLLECTOR_NODE in wanted, clock=clock)
    return Engine(config, version, clock, fleet=fleet, host=host)
