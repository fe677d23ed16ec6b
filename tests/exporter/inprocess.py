"""Driving one TargetWorker in-process against a real server, for tests that time or count
individual probes and polls without a subprocess in between."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from exporter.config import ExporterConfig, Secret, Target
from exporter.engine import TargetWorker
from exporter.sources.client import JupyterClient
from tests.exporter.servers import JupyterServer

T = TypeVar("T")


def config_for(target: Target, **overrides: object) -> ExporterConfig:
    from exporter.config import COLLECTORS_DEFAULT_ON

    values: dict[str, object] = dict(
        targets=(target,), listen_host="127.0.0.1", listen_port=0, web_config_file=None,
        poll_interval=1.0, probe_interval=0.0, idle_threshold=1800.0,
        collectors=frozenset(COLLECTORS_DEFAULT_ON), log_format="text")
    values.update(overrides)
    return ExporterConfig(**values)  # type: ignore[arg-type]


def target_for(server: JupyterServer, token: str | None = None) -> Target:
    return Target(name="dev", url=server.url, token=Secret(token or server.token))


async def with_worker(server: JupyterServer, body: Callable[[TargetWorker], Awaitable[T]],
                      **overrides: object) -> T:
    target = target_for(server)
    worker = TargetWorker(target, config_for(target, **overrides), instance="test0000")
    async with JupyterClient(target, 10.0) as client:
        worker.client = client
        try:
            return await body(worker)
        finally:
            await worker.close()
