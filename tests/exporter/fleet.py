"""Driving an Engine against the fleet simulator (bench/fleetsim.py) in-process."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from bench.fleetsim import FleetSim
from exporter.app import render
from exporter.config import COLLECTORS_DEFAULT_ON, ExporterConfig, HubConfig, Secret
from exporter.engine import Engine, build_engine
from tests.exporter.metrics import samples

T = TypeVar("T")


def hub_config(sim: FleetSim, token: str | None = None, **overrides: object) -> ExporterConfig:
    hub = HubConfig(api_url=sim.hub_url + "hub/api/", token=Secret(token or sim.hub_token),
                    proxy_api_url=sim.proxy_api_url, proxy_token=Secret(sim.proxy_token),
                    refresh_interval=3600.0)
    values: dict[str, object] = dict(
        targets=(), listen_host="127.0.0.1", listen_port=0, web_config_file=None,
        poll_interval=3600.0, probe_interval=0.0, idle_threshold=1800.0,
        collectors=frozenset(COLLECTORS_DEFAULT_ON), log_format="text", hub=hub,
        request_timeout=10.0, heavy_every=4)
    values.update(overrides)
    return ExporterConfig(**values)  # type: ignore[arg-type]


async def with_engine(config: ExporterConfig, body: Callable[[Engine], Awaitable[T]],
                      first_cycle_timeout: float = 120.0) -> T:
    """Run the engine; its first cycle runs at once, later ones when the test asks
    (`engine.cycle`), since the poll interval is set long."""
    engine = build_engine(config, "0.0.0-test")
    task = asyncio.create_task(engine.run())
    try:
        deadline = time.monotonic() + first_cycle_timeout
        while engine.cycle_seconds is None:
            assert not task.done(), task.exception() if task.done() else None
            assert time.monotonic() < deadline, "first poll cycle did not finish"
            await asyncio.sleep(0.05)
        return await body(engine)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


def scrape(engine: Engine) -> list[tuple[str, dict[str, str], float]]:
    body, _ = render(engine.view(), engine.config.collectors, None)
    return samples(body.decode())


def servers_in(scraped: list[tuple[str, dict[str, str], float]], metric: str) -> set[str]:
    return {labels["server"] for name, labels, _ in scraped if name == metric}
