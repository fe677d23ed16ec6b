"""Kernel start/stop cycles: 2,000 against the fleet simulator (ten servers, every stop
announced by a `shutdown` event as a real server does) and 50 against a real Jupyter
Server. The exporter's RSS stays flat once warm, every start is counted exactly once, no
stop is taken for a crash, and the kernel series at the end are exactly the kernels alive.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import aiohttp
import pytest

from exporter import naming
from exporter.config import Secret
from exporter.gameday import kernels as gameday
from exporter.gameday.target import Target as GamedayTarget
from tests.exporter.metrics import samples, value
from tests.exporter.servers import (
    JupyterServer,
    kernel_pids,
    kill_kernel_processes,
    start_exporter,
    wait_until,
    write_secret,
)
from tests.reliability import ledger
from tests.reliability.loopthread import LoopThread
from tests.reliability.measure import exporter_for, rss_mib, total
from tests.reliability.upstreams import EventSim

SIM_SERVERS, SIM_PER_ROUND, SIM_ROUNDS = 10, 5, 40  # 10 x 5 x 40 = 2,000 cycles
REAL_PER_ROUND, REAL_ROUNDS = 5, 10  # 50 cycles
WARM_ROUND = 5  # RSS is compared from here on: imports, pools and caches are warm by then
SIM_RSS_GROWTH_MIB, REAL_RSS_GROWTH_MIB = 8.0, 8.0


async def _churn(sim: EventSim) -> int:
    """Stop every kernel of every server, start `SIM_PER_ROUND` new ones on each."""
    started = 0
    for server in list(sim.servers.values()):
        for kid in list(server.kernels):
            await sim.stop_kernel(server.label, kid)
        for _ in range(SIM_PER_ROUND):
            await sim.start_kernel(server.label, "python3" if started % 3 else "ir")
            started += 1
    return started


def _kernel_series(text: str) -> dict[tuple[str, str, str], float]:
    return {(lab["server"], lab["kernel_name"], lab["execution_state"]): v
            for name, lab, v in samples(text) if name == naming.KERNELS.name}


def _sim_kernel_series(sim: EventSim) -> dict[tuple[str, str, str], float]:
    out: dict[tuple[str, str, str], float] = {}
    for server in sim.servers.values():
        for kernel in server.kernels.values():
            key = (server.label, kernel["name"], kernel["execution_state"])
            out[key] = out.get(key, 0) + 1
    return out


@pytest.mark.timeout(240)
def test_two_thousand_cycles_against_the_fleet_simulator(tmp_path: Path) -> None:
    loop = LoopThread()
    sim = EventSim(servers=SIM_SERVERS, kernels=2, named_every=0, ports=2)
    loop.run(sim.start())
    exp = start_exporter([f"--hub-url={sim.hub_url}", f"--proxy-api-url={sim.proxy_api_url}",
                          f"--hub-token-file={write_secret(tmp_path / 'hub', sim.hub_token)}",
                          f"--proxy-token-file={write_secret(tmp_path / 'proxy', sim.proxy_token)}",
                          "--poll-interval=0.3s", "--probe-interval=0"],
                         tmp_path / "exporter.log")
    try:
        wait_until(lambda: value(exp.metrics_text(), naming.EVENT_STREAM_UP.name) == 1
                   and loop.call(lambda: sim.streams) == SIM_SERVERS
                   and total(exp.metrics_text(), naming.UP.name) == SIM_SERVERS, 30,
                   "every server polled and subscribed")
        with ledger.fault("kernel start/stop cycles (fleet simulator)") as row:
            rss: list[float] = []
            for round_ in range(1, SIM_ROUNDS + 1):
                row.injected += loop.run(_churn(sim))
                wait_until(lambda r=round_: total(exp.metrics_text(), naming.KERNEL_STARTS.name)
                           == r * SIM_SERVERS * SIM_PER_ROUND, 20, f"round {round_} counted")
                row.survived = int(total(exp.metrics_text(), naming.KERNEL_STARTS.name))
                if round_ >= WARM_ROUND:
                    rss.append(rss_mib(exp.proc.pid))
            time.sleep(4)  # past the accounting grace: every stop has been judged
            text = exp.metrics_text()
            assert total(text, naming.KERNEL_STARTS.name) == row.injected
            assert total(text, naming.KERNEL_CRASHES.name) == 0, "a clean stop taken for a crash"
            assert _kernel_series(text) == loop.call(lambda: _sim_kernel_series(sim)), \
                "kernel series must be exactly the kernels alive"
            accepted = total(text, naming.EVENTS.name, outcome=naming.EVENT_ACCEPTED)
            assert accepted == loop.call(lambda: sim.sent), "every event received and accepted"
            assert max(rss) - rss[0] <= SIM_RSS_GROWTH_MIB, f"RSS MiB from round 5: {rss}"
            row.lost(f"RSS {rss[0]:.0f}->{rss[-1]:.0f} MiB (max {max(rss):.0f}); 0 crashes "
                     f"counted; 0 stale series; {accepted:.0f} of {accepted:.0f} events used")
    finally:
        exp.stop()
        loop.run(sim.stop())
        loop.close()


async def _start_ready(target: GamedayTarget, count: int) -> list[str]:
    """Start `count` kernels as a user's client does and wait until each answers
    kernel_info: a whole start, not a process killed while it boots."""
    async with aiohttp.ClientSession() as http:
        ids = await asyncio.gather(*(gameday.start(http, target, "python3")
                                     for _ in range(count)))
        await asyncio.wait_for(asyncio.gather(*(gameday.kernel_info(http, target, kid)
                                                for kid in ids)), 120)
        return list(ids)


async def _delete(target: GamedayTarget, ids: list[str]) -> None:
    async with aiohttp.ClientSession() as http:
        done = await asyncio.gather(*(gameday.delete(http, target, kid) for kid in ids))
        assert all(done)


@pytest.mark.real
@pytest.mark.timeout(300)
def test_fifty_cycles_against_a_real_server(jupyter: JupyterServer, tmp_path: Path) -> None:
    exp = exporter_for(jupyter.url, jupyter.token, tmp_path, "--poll-interval=0.5s",
                       "--no-collector.node")
    ids: list[str] = []
    try:
        wait_until(lambda: value(exp.metrics_text(), naming.UP.name) == 1, 20, "first poll")
        target = GamedayTarget(jupyter.url, Secret(jupyter.token))
        with ledger.fault("kernel start/stop cycles (real server)") as row:
            rss: list[float] = []
            for round_ in range(1, REAL_ROUNDS + 1):
                batch = asyncio.run(_start_ready(target, REAL_PER_ROUND))
                ids += batch
                row.injected += len(batch)
                wait_until(lambda r=round_: total(exp.metrics_text(), naming.KERNEL_STARTS.name)
                           == r * REAL_PER_ROUND
                           and total(exp.metrics_text(), naming.KERNELS.name) == REAL_PER_ROUND,
                           30, f"round {round_} counted")
                asyncio.run(_delete(target, batch))
                wait_until(lambda: total(exp.metrics_text(), naming.KERNELS.name) == 0, 30,
                           f"round {round_} stops seen")
                row.survived += len(batch)
                if round_ >= 2:
                    rss.append(rss_mib(exp.proc.pid))
            time.sleep(4)
            text = exp.metrics_text()
            assert total(text, naming.KERNEL_STARTS.name) == REAL_PER_ROUND * REAL_ROUNDS
            assert total(text, naming.KERNEL_CRASHES.name) == 0, "a DELETE taken for a crash"
            assert not _kernel_series(text)
            wait_until(lambda: not any(kernel_pids(k) for k in ids), 30, "kernel processes gone")
            assert max(rss) - rss[0] <= REAL_RSS_GROWTH_MIB, f"RSS MiB from round 2: {rss}"
            row.lost(f"RSS {rss[0]:.0f}->{rss[-1]:.0f} MiB (max {max(rss):.0f}); 0 crashes "
                     "counted; 0 stale series; 0 kernel processes left")
    finally:
        exp.stop()
        kill_kernel_processes(ids)
