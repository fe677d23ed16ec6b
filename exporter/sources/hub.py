"""The fleet behind a JupyterHub: ready servers from the Hub API, addresses from the proxy.

Why both (research/jupyter.md §5.2-5.3):
- `GET /hub/api/users?state=ready` lists users with a ready server. It is paginated: with
  the `Accept: application/jupyterhub-pagination+json` header the answer carries
  `_pagination.next`, which is followed until null; without the header the Hub silently cuts
  the list. Pages may be short (the Hub drops users whose servers are not ready after
  paging), so only `next` ends the walk, within `MAX_PAGES`.
- The Hub API does not say where a server listens. configurable-http-proxy's routing table
  (`GET /api/routes`) does: `{"/user/bob/gpu": {"target": "http://10.0.0.7:8888", ...}}`.
  Servers are polled at `target + url` directly, never through the proxy, because the proxy
  counts every request it forwards as user activity, which would defeat the idle culler.

Tokens travel only in `Authorization` headers. Errors name the path and status, never a
token or a body. Parsers are pure; the two fetchers are the I/O edge.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from exporter import naming
from exporter.config import Secret
from exporter.model import HubServer
from exporter.sources.client import UpstreamError, read_capped, reason_for_status
from exporter.sources.parse import BadPayload

PAGINATION = "application/jupyterhub-pagination+json"
PAGE_LIMIT = 200  # JupyterHub's default api_page_max_limit
MAX_PAGES = 500  # 100,000 users at 200 a page
MAX_NAME = 255
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _name(value: Any) -> str | None:
    if isinstance(value, str) and len(value) <= MAX_NAME and not _CONTROL.search(value):
        return value
    return None


def parse_users_page(payload: Any) -> tuple[tuple[HubServer, ...], int | None]:
    """(ready servers on this page, next offset or None)."""
    if not isinstance(payload, dict) or not isinstance(payload.get("items"), list) \
            or not isinstance(payload.get("_pagination"), dict):
        raise BadPayload("/hub/api/users: not a paginated answer (Hub older than 2.5?)")
    servers = []
    for user in payload["items"]:
        if not isinstance(user, dict) or _name(user.get("name")) is None:
            raise BadPayload("/hub/api/users: a user without a name")
        models = user.get("servers")
        if not isinstance(models, dict):
            raise BadPayload("/hub/api/users: no servers (token lacks read:servers?)")
        for key, model in sorted(models.items()):
            if not isinstance(model, dict) or model.get("ready") is not True:
                continue
            server_name, url = _name(model.get("name", key)), model.get("url")
            if server_name is None or not isinstance(url, str) or not url.startswith("/"):
                raise BadPayload("/hub/api/users: a server without a name or url")
            servers.append(HubServer(user["name"], server_name, url))
    following = payload["_pagination"].get("next")
    offset = following.get("offset") if isinstance(following, dict) else None
    return tuple(servers), offset if isinstance(offset, int) and offset >= 0 else None


def parse_routes(payload: Any) -> dict[str, str]:
    """Route path (no trailing slash) -> target URL, for path-based routes to http(s)."""
    if not isinstance(payload, dict):
        raise BadPayload("/api/routes: expected an object")
    routes = {}
    for path, data in payload.items():
        target = data.get("target") if isinstance(data, dict) else None
        if not isinstance(path, str) or not path.startswith("/") or not isinstance(target, str):
            continue  # host-based routes (subdomains) are not supported
        parts = urlsplit(target)
        if parts.scheme in ("http", "https") and parts.hostname:
            routes[path.rstrip("/")] = target.rstrip("/")
    return routes


def direct_url(server: HubServer, routes: Mapping[str, str]) -> str | None:
    """The server's own address: the proxy target of its route, plus its path (the proxy
    forwards the full path, and the server's base_url is that path)."""
    target = routes.get(server.url.rstrip("/"))
    return None if target is None else target + server.url


def _check(status: int, path: str) -> None:
    if status >= 300:
        raise UpstreamError(reason_for_status(status), f"GET {path}: HTTP {status}", status)


async def _get(session: aiohttp.ClientSession, url: str, path: str, token: Secret,
               timeout: float, accept: str = "application/json",
               params: dict[str, str] | None = None) -> Any:
    headers = {"Authorization": f"token {token.value}", "Accept": accept}
    async with session.get(url, headers=headers, params=params, allow_redirects=False,
                           timeout=aiohttp.ClientTimeout(total=timeout)) as resp:
        _check(resp.status, path)
        data = await read_capped(resp, f"GET {path}")
    try:
        return json.loads(data)
    except ValueError:
        raise UpstreamError(naming.REASON_BAD_PAYLOAD, f"GET {path}: not JSON") from None


async def list_ready_servers(session: aiohttp.ClientSession, api_url: str, token: Secret,
                             timeout: float) -> tuple[HubServer, ...]:
    """Every ready server, named ones included, walking the pages."""
    out: list[HubServer] = []
    offset: int | None = 0
    for _ in range(MAX_PAGES):
        if offset is None:
            return tuple(out)
        payload = await _get(session, api_url + "users", "/hub/api/users", token, timeout,
                             accept=PAGINATION, params={"state": "ready", "offset": str(offset),
                                                        "limit": str(PAGE_LIMIT)})
        servers, offset = parse_users_page(payload)
        out.extend(servers)
    raise BadPayload(f"/hub/api/users: more than {MAX_PAGES} pages")


async def proxy_routes(session: aiohttp.ClientSession, proxy_api_url: str, token: Secret,
                       timeout: float) -> dict[str, str]:
    payload = await _get(session, proxy_api_url + "api/routes", "/api/routes", token, timeout)
    return parse_routes(payload)
