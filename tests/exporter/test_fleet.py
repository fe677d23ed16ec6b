"""Hub mode and sharding against the fleet simulator, plus the pure parts they rest on.

The simulator follows JupyterHub's REST API and configurable-http-proxy's routes API; the
same behaviours are shown once against a real Hub and proxy in test_hub_real.py.
"""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest

from bench.fleetsim import FleetSim
from exporter import naming
from exporter.config import ConfigError, Secret
from exporter.fleet import fleet_targets
from exporter.model import HubServer
from exporter.sharding import Shard, parse_shard, shard_of
from exporter.sources import hub
from exporter.sources.parse import BadPayload
from tests.exporter.fleet import hub_config, scrape, servers_in, with_engine

TOKEN = Secret("t")


# --- pure parts ------------------------------------------------------------------------------
@pytest.mark.parametrize("count", [pytest.param(n, id=f"{n} shards cover every name once")
                                   for n in (1, 2, 4, 7)])
def test_shards_partition_the_names(count: int) -> None:
    names = [f"user{i}" for i in range(2000)] + [f"user{i}/gpu" for i in range(0, 2000, 7)]
    owned = [[n for n in names if Shard(i, count).owns(n)] for i in range(count)]
    assert sorted(n for part in owned for n in part) == sorted(names)
    if count > 1:
        assert all(len(part) > len(names) / count / 2 for part in owned), "badly skewed"


def test_shard_of_is_stable_across_processes() -> None:
    # sha256("alice")[:8] as a big-endian integer, mod 4: pinned so a change is noticed
    assert shard_of("alice", 4) == int.from_bytes(
        bytes.fromhex("2bd806c97f0e00af"), "big") % 4


@pytest.mark.parametrize("text,expected", [
    pytest.param("0/1", Shard(0, 1), id="one shard is the default"),
    pytest.param("3/4", Shard(3, 4), id="the last of four shards"),
    pytest.param("4/4", None, id="an index past the count is refused"),
    pytest.param("1", None, id="a bare number is refused"),
    pytest.param("0/0", None, id="zero shards are refused"),
    pytest.param("-1/4", None, id="a negative index is refused"),
])
def test_parse_shard(text: str, expected: Shard | None) -> None:
    if expected is None:
        with pytest.raises(ConfigError):
            parse_shard(text)
    else:
        assert parse_shard(text) == expected


def _page(users: list, following: int | None = None) -> dict:
    nxt = None if following is None else {"offset": following, "limit": 2, "url": ""}
    return {"items": users, "_pagination": {"offset": 0, "limit": 2, "total": 9, "next": nxt}}


def _user(name: str, **servers: bool) -> dict:
    return {"name": name, "servers": {
        ("" if s == "default" else s): {"name": "" if s == "default" else s, "ready": ready,
                                        "url": f"/user/{name}/" if s == "default"
                                        else f"/user/{name}/{s}/"}
        for s, ready in servers.items()}}


@pytest.mark.parametrize("payload,servers,following", [
    pytest.param(_page([_user("alice", default=True)]), [("alice", "")], None,
                 id="a default server is listed under its user's name"),
    pytest.param(_page([_user("bob", default=True, gpu=True)], 2),
                 [("bob", ""), ("bob", "gpu")], 2, id="named servers are listed, next is kept"),
    pytest.param(_page([_user("carol", default=False, gpu=True)]), [("carol", "gpu")], None,
                 id="a server that is not ready yet is left out"),
])
def test_parse_users_page(payload: dict, servers: list, following: int | None) -> None:
    found, offset = hub.parse_users_page(payload)
    assert [(s.user, s.server_name) for s in found] == servers
    assert offset == following


@pytest.mark.parametrize("payload", [
    pytest.param([_user("alice", default=True)], id="a bare list (no pagination) is refused"),
    pytest.param(_page([{"name": "a"}]), id="users without servers (no read:servers) refused"),
    pytest.param(_page([{"servers": {}}]), id="a user without a name is refused"),
])
def test_parse_users_page_refuses(payload: object) -> None:
    with pytest.raises(BadPayload):
        hub.parse_users_page(payload)


def test_direct_address_comes_from_the_route_never_the_proxy() -> None:
    routes = hub.parse_routes({
        "/": {"target": "http://127.0.0.1:8081"},
        "/user/alice": {"target": "http://10.0.0.5:8888", "user": "alice"},
        "/user/bob/gpu": {"target": "http://10.0.0.6:8888/"},
        "alice.example.org/user/alice": {"target": "http://10.0.0.9:1"},
    })
    servers = [HubServer("alice", "", "/user/alice/"), HubServer("bob", "gpu", "/user/bob/gpu/"),
               HubServer("dave", "", "/user/dave/")]
    targets, unroutable = fleet_targets(servers, routes, TOKEN, Shard(), frozenset({"bob"}))
    assert [(t.name, t.url, t.probe) for t in targets] == [
        ("alice", "http://10.0.0.5:8888/user/alice/", False),
        ("bob/gpu", "http://10.0.0.6:8888/user/bob/gpu/", True)]
    assert unroutable == 1


# --- against the simulator ---------------------------------------------------------------------
async def _started(sim: FleetSim) -> FleetSim:
    await sim.start()
    return sim


@pytest.mark.timeout(60)
def test_listing_follows_pagination_and_without_the_header_the_hub_cuts() -> None:
    async def main() -> None:
        sim = await _started(FleetSim(450, 1, seed=1, pending_every=9))
        try:
            async with aiohttp.ClientSession() as session:
                api = sim.hub_url + "hub/api/"
                listed = await hub.list_ready_servers(session, api, Secret(sim.hub_token), 10)
                assert {s.label for s in listed} == sim.labels()
                assert len(listed) == len(sim.labels()) == 450 - 50 + 45
                async with session.get(api + "users", params={"state": "ready"},
                                       headers={"Authorization": f"token {sim.hub_token}"}
                                       ) as resp:
                    bare = await resp.json()
                assert len(bare) < 450 - 50, "without the Accept header the list is cut"
        finally:
            await sim.stop()

    asyncio.run(main())


@pytest.mark.timeout(300)
def test_four_shards_cover_a_thousand_servers_with_twenty_kernels_exactly_once() -> None:
    async def main() -> None:
        sim = await _started(FleetSim(1000, 20, seed=5, named_every=0))
        try:
            owned: list[set[str]] = []
            kernels = 0.0
            for index in range(4):
                config = hub_config(sim, shard_index=index, shard_count=4,
                                    collectors=frozenset({naming.COLLECTOR_KERNELS}))

                async def body(engine) -> None:
                    nonlocal kernels
                    scraped = scrape(engine)
                    owned.append(servers_in(scraped, naming.UP.name))
                    assert all(v == 1 for n, _, v in scraped if n == naming.UP.name)
                    kernels += sum(v for n, _, v in scraped if n == naming.KERNELS.name)

                await with_engine(config, body)
            union = set().union(*owned)
            assert union == sim.labels() and len(union) == 1000
            assert sum(len(part) for part in owned) == 1000, "a server is in two shards"
            assert kernels == 1000 * 20
            assert set(sim.polls) == sim.labels(), "every server was polled"
            assert sim.untracked_violations == 0 and sim.through_proxy == 0
        finally:
            await sim.stop()

    asyncio.run(main())


@pytest.mark.timeout(120)
def test_servers_that_vanish_drop_their_series_within_one_poll() -> None:
    async def main() -> None:
        sim = await _started(FleetSim(40, 3, seed=2))
        config = hub_config(sim)
        try:
            async def body(engine) -> None:
                before = servers_in(scrape(engine), naming.UP.name)
                assert before == sim.labels()
                gone = [*sorted(before)[:3], "u00010/gpu"]
                for label in gone:
                    sim.remove_server(label)
                sim.add_server("newcomer")
                await engine.cycle(refresh=True)
                scraped = scrape(engine)
                for metric in (naming.UP.name, naming.KERNELS.name, naming.LAST_POLL.name,
                               naming.POLL_ERRORS.name, naming.EVENT_STREAM_UP.name):
                    assert servers_in(scraped, metric).isdisjoint(gone), metric
                assert servers_in(scraped, naming.UP.name) == sim.labels()
                assert "newcomer" in servers_in(scraped, naming.KERNELS.name)
                targets = [v for n, _, v in scraped if n == naming.TARGETS.name]
                assert targets == [len(sim.labels())]

            await with_engine(config, body)
        finally:
            await sim.stop()

    asyncio.run(main())


@pytest.mark.timeout(120)
def test_one_stream_per_server_and_a_hung_server_cannot_hold_the_cycle() -> None:
    async def main() -> None:
        sim = await _started(FleetSim(30, 2, seed=3))
        sim.hang.add("u00007")
        config = hub_config(sim, request_timeout=1.0, max_concurrency=4)
        try:
            async def body(engine) -> None:
                assert engine.cycle_seconds is not None and engine.cycle_seconds < 15
                answering = len(sim.labels()) - 1  # the hung server hangs its stream too
                deadline = time.monotonic() + 20
                while sim.streams < answering and time.monotonic() < deadline:
                    await asyncio.sleep(0.1)
                await asyncio.sleep(0.5)  # a second stream per server would show up now
                assert sim.streams == answering, "one event stream per server"
                scraped = scrape(engine)
                up = {labels["server"]: v for n, labels, v in scraped if n == naming.UP.name}
                assert up.pop("u00007") == 0 and set(up.values()) == {1.0}
                timeouts = [v for n, labels, v in scraped if n == naming.POLL_ERRORS.name
                            and labels["server"] == "u00007" and labels["reason"] == "timeout"]
                assert timeouts == [1.0]

            await with_engine(config, body)
        finally:
            sim.hang.clear()
            await sim.stop()

    asyncio.run(main())


@pytest.mark.timeout(60)
def test_a_failed_hub_listing_keeps_the_last_known_fleet() -> None:
    async def main() -> None:
        sim = await _started(FleetSim(5, 1, seed=4, named_every=0))
        config = hub_config(sim)
        try:
            async def body(engine) -> None:
                assert len(engine.workers) == 5
                sim.hub_token = "rotated"  # the exporter's token is no longer accepted
                await engine.cycle(refresh=True)
                scraped = scrape(engine)
                assert [v for n, _, v in scraped if n == naming.HUB_UP.name] == [0.0]
                assert servers_in(scraped, naming.UP.name) == sim.labels()

            await with_engine(config, body)
        finally:
            await sim.stop()

    asyncio.run(main())
