"""Hub mode: turn the Hub's ready servers and the proxy's routes into this shard's targets.

`fleet_targets` is pure. `FleetSource` is the I/O edge: one aiohttp session for the Hub and
the proxy, asked once per refresh. A failed refresh returns None and the engine keeps the
last known fleet, so a Hub restart does not blank every server's series; `hub_up` says so.
Every user server gets the Hub token (it needs `access:servers`); the synthetic probes run
only on servers of `--hub.probe-user` users, because a probe kernel counts as activity.
Token files rotate (exporter.sources.tokens): a 401/403 from the Hub or the proxy re-reads
that token's file, and the next refresh sends the current token. The targets keep the
startup `Secret` (so a rotation does not look like a changed fleet); each server's client
follows the Hub token file on its own.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import TypeVar

import aiohttp

from exporter import naming
from exporter.config import HubConfig, Secret, Target
from exporter.model import HubServer
from exporter.sharding import Shard
from exporter.sources import hub, tokens
from exporter.sources.client import UpstreamError
from exporter.sources.poll import POLL_ERRORS, describe

log = logging.getLogger("exporter.fleet")
T = TypeVar("T")


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
        self._hub_token = tokens.watch(config.token)
        self._proxy_token = tokens.watch(config.proxy_token)

    async def _ask(self, call: Callable[[Secret], Awaitable[T]], secret: Secret,
                   token_file: tokens.TokenFile | None, who: str) -> T:
        """`call` with the current token; a 401/403 re-reads the token's file before the
        error goes on, so the next refresh can use a rotated token."""
        try:
            return await call(tokens.current(secret, token_file))
        except UpstreamError as exc:
            if exc.reason == naming.REASON_AUTH and token_file is not None:
                await token_file.reread(who)
            raise

    async def refresh(self) -> tuple[Target, ...] | None:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                headers={"User-Agent": "jupyter-slo-exporter"},
                timeout=aiohttp.ClientTimeout(total=None, sock_connect=min(self.timeout, 5.0)))
        cfg, session, timeout = self.config, self._session, self.timeout
        # Both run to their end (no orphaned task), so each refused token's file is re-read.
        servers, routes = await asyncio.gather(
            self._ask(lambda t: hub.list_ready_servers(session, cfg.api_url, t, timeout),
                      cfg.token, self._hub_token, "hub"),
            self._ask(lambda t: hub.proxy_routes(session, cfg.proxy_api_url, t, timeout),
                      cfg.proxy_token, self._proxy_token, "proxy"),
            return_exceptions=True)
        try:
            if isinstance(servers, BaseException):
                raise servers
            if isinstance(routes, BaseException):
                raise routes
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
