"""What a poll reads and when: heavy polls staggered over cycles by a stable hash of the
server's name, the version and kernelspecs read only when they can have changed, and an
unchanged answer reused by identity (exporter/engine.py `poll_phases`,
exporter/sources/poll.py). Against the fleet simulator, counting requests by path; the
same poll against a real Jupyter Server is in test_http1.py.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from aiohttp import web

from bench.fleetsim import NOW_ISO, FleetSim
from exporter.config import Secret, Target
from exporter.engine import META_EVERY, poll_phases
from exporter.sharding import Shard
from exporter.sources.client import JupyterClient
from exporter.sources.poll import PollMemo, poll
from tests.exporter.fleet import hub_config, with_engine


class CountingSim(FleetSim):
    """Counts server requests by path (`api/kernels`, `metrics`, ...)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.paths: Counter[str] = Counter()

    async def server_request(self, request: web.Request) -> web.StreamResponse:
        found = self._server_for(request.path)
        if found is not None:
            self.paths[found[1]] += 1
        return await super().server_request(request)


@asynccontextmanager
async def one_server(seed: int) -> AsyncIterator[tuple[CountingSim, Any, JupyterClient]]:
    """A one-server simulator, its server and a client polling it (closed afterwards)."""
    sim = CountingSim(1, 2, seed=seed, named_every=0, ports=1)
    await sim.start()
    server = next(iter(sim.servers.values()))
    target = Target("one", f"http://127.0.0.1:{server.port}{server.url}", Secret(sim.hub_token))
    try:
        async with JupyterClient(target, 5.0) as client:
            yield sim, server, client
    finally:
        await sim.stop()


def test_poll_phases_are_stable_and_spread() -> None:
    assert poll_phases("alice", 4) == poll_phases("alice", 4)
    names = [f"u{i:05d}" for i in range(4000)]
    heavy = Counter(poll_phases(n, 4)[0] for n in names)
    assert set(heavy) == {0, 1, 2, 3}
    assert all(800 <= c <= 1200 for c in heavy.values()), heavy
    meta = Counter(poll_phases(n, 4)[1] for n in names)
    assert set(meta) == set(range(META_EVERY))
    # Independent of the shard hash: one shard of four still spreads over the four phases.
    mine = [n for n in names if Shard(1, 4).owns(n)]
    assert len({poll_phases(n, 4)[0] for n in mine}) == 4
    assert poll_phases("alice", 1)[0] == 0  # every poll heavy


@pytest.mark.timeout(120)
def test_heavy_polls_are_spread_evenly_over_the_cycles() -> None:
    async def main() -> None:
        sim = CountingSim(40, 3, seed=2, named_every=0)
        await sim.start()
        try:
            async def body(engine) -> None:
                labels = sorted(engine.workers)
                assert len(labels) == 40
                assert sim.paths["metrics"] == 40 and sim.paths["api"] == 40  # cold: all
                per_cycle = []
                for cycle in range(1, 5):
                    sim.paths.clear()
                    await engine.cycle(refresh=False)
                    heavy = sum(1 for n in labels if (cycle + poll_phases(n, 4)[0]) % 4 == 0)
                    meta = sum(1 for n in labels
                               if (cycle + poll_phases(n, 4)[1]) % META_EVERY == 0)
                    assert sim.paths["api/kernels"] == 40
                    assert sim.paths["metrics"] == sim.paths["api/terminals"] == heavy
                    assert sim.paths["api"] == sim.paths["api/kernelspecs"] == meta
                    per_cycle.append(heavy)
                assert sum(per_cycle) == 40, "each server exactly one heavy poll in four"
                assert max(per_cycle) < 40 // 2, per_cycle
                up = [t.up for t in engine.view().targets]
                assert all(up) and len(up) == 40

            await with_engine(hub_config(sim), body)
        finally:
            await sim.stop()

    asyncio.run(main())


@pytest.mark.timeout(60)
def test_version_and_kernelspecs_are_read_only_when_they_may_have_changed() -> None:
    async def main() -> None:
        memo = PollMemo()
        async with one_server(seed=3) as (sim, server, client):
            first = await poll(client, True, memo=memo)
            assert first.view is not None and sim.paths["api/kernelspecs"] == 1
            assert first.view.kernelspecs == {"python3", "ir"}

            sim.paths.clear()
            same = await poll(client, True, previous=first.view, heavy=False, memo=memo)
            assert same.view is first.view, "an unchanged server gives the same view"
            assert set(sim.paths) == {"api/status", "api/kernels", "api/sessions"}

            sim.paths.clear()  # a kernel of a spec not listed: the specs are read once
            kid = "0b6ab2c0-3a43-4c3e-9d1e-2c6c0f4f1a11"
            server.kernels[kid] = {"id": kid, "name": "julia", "last_activity": NOW_ISO,
                                   "execution_state": "idle", "connections": 0}
            server.changed()
            seen = await poll(client, True, previous=same.view, heavy=False, memo=memo)
            assert seen.view is not None and sim.paths["api/kernelspecs"] == 1
            assert "julia" in {k.name for k in seen.view.kernels}
            sim.paths.clear()
            again = await poll(client, True, previous=seen.view, heavy=False, memo=memo)
            assert again.view is not None and sim.paths["api/kernelspecs"] == 0, \
                "a spec looked up and not found is not looked up on every poll"

            sim.paths.clear()  # the server restarted: version and specs are read again
            server._cache["api/status"] = (
                b'{"started": "2026-11-26T01:00:00.000000Z", "last_activity": "'
                + NOW_ISO.encode() + b'", "connections": 0, "kernels": 3}')
            restarted = await poll(client, True, previous=again.view, heavy=False,
                                   memo=memo)
            assert restarted.view is not None
            assert sim.paths["api"] == sim.paths["api/kernelspecs"] == 1
            assert restarted.view.started != again.view.started

    asyncio.run(main())


@pytest.mark.timeout(60)
def test_a_light_poll_carries_terminals_and_request_counts() -> None:
    async def main() -> None:
        memo = PollMemo()
        async with one_server(seed=4) as (sim, server, client):
            first = await poll(client, True, memo=memo)
            assert first.view is not None and first.view.request_counts is not None
            server.kernels.popitem()
            server.changed()
            sim.paths.clear()
            light = await poll(client, True, previous=first.view, heavy=False, memo=memo)
            assert light.view is not None and len(light.view.kernels) == 1
            assert light.view.request_counts is first.view.request_counts
            assert light.view.terminals == first.view.terminals == 0
            assert "metrics" not in sim.paths and "api/terminals" not in sim.paths
            sim.paths.clear()
            heavy = await poll(client, True, previous=light.view, heavy=True, memo=memo)
            assert heavy.view is not None and sim.paths["metrics"] == 1
            assert sim.paths["api"] == 0, "a heavy poll does not re-read the version"

    asyncio.run(main())
