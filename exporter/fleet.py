"""Hub mode: turn the Hub's ready servers and the proxy's routes into this shard's targets.

`fleet_targets` is pure. `FleetSource` is the I/O edge: one aiohttp session for the Hub and
the proxy, asked once per refresh. A failed refresh returns None and the engine keeps the
last known fleet, so a Hub restart does not blank every server's series; `hub_up` says so.
Every user server gets the Hub token (it needs `access:servers`); the synthetic probes run
only on servers of `--hub.probe-user` users, because a probe kernel counts as activity.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping

import aiohttp

from exporter.config import HubConfig, Secret, Target
from exporter.model import HubServer
from exporter.sharding import Shard
from exporter.sources import hub
from exporter.sources.poll import POLL_ERRORS, describe

log = logging.getLogger("exporter.fleet")


def fleet_targets(servers: Iterable[HubServer], routes: Mapping[str, str], token: Secret,
                  shard: Shard, probe_users: frozenset[str]) -> tuple[tuple[Target, ...], int]:
    """(this shard's targets sorted by name, servers with no route to poll them by)."""
    targets: dict[str, Target] = {}
    unroutable = 0
    for server in servers:
        name = server.label
        if not shard.owns(name) or name in targets:
            continue
        url = hub.direct_url(server, routes)
        if url is None:
            unroutable += 1
            continue
        targets[name] = Target(name=name, url=url, token=token,
                               probe=server.user in probe_users)
    return tuple(targets[n] for n in sorted(targets)), unroutable


class FleetSource:
    def __init__(self, config: HubConfig, shard: Shard, timeout: float) -> None:
        self.config, self.shard, self.timeout = config, shard, timeout
        self._session: aiohttp.ClientSession | None = None
        self._unroutable = 0

    async def refresh(self) -> tuple[Target, ...] | None:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                headers={"User-Agent": "jupyter-slo-exporter"},
                timeout=aiohttp.ClientTimeout(total=None, sock_connect=min(self.timeout, 5.0)))
        cfg = self.config
        try:
            servers, routes = await asyncio.gather(
                hub.list_ready_servers(self._session, cfg.api_url, cfg.token, self.timeout),
                hub.proxy_routes(self._session, cfg.proxy_api_url, cfg.proxy_token,
                                 self.timeout))
        except POLL_ERRORS as exc:
            log.warning("fleet listing failed; keeping the last known servers",
                        extra={"error": describe(exc)})
            return None
        targets, unroutable = fleet_targets(servers, routes, cfg.token, self.shard,
                                            cfg.probe_users)
        if unroutable != self._unroutable:
            log.warning("ready servers without a proxy route (not polled)",
                        extra={"count": unroutable})
            self._unroutable = unroutable
        return targets

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
