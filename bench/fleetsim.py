"""A fleet simulator: one aiohttp process impersonating a JupyterHub, its proxy's API, and N
single-user Jupyter Servers with K kernels each, all on loopback, driven by a seed.

What it follows (research/jupyter.md §5.2-5.3 and JupyterHub 6.1's users handler):
- `GET /hub/api/users?state=ready`: users with at least one ready server; with the
  `application/jupyterhub-pagination+json` Accept header a page `{items, _pagination}` whose
  `next` is followed; without it a bare list silently cut at the page limit (200). Named
  servers sit in each user's `servers` dict; a not-ready (pending) server is listed with
  `ready: false`. Tokens are checked (`Authorization: token ...`), else 403.
- `GET /api/routes` (configurable-http-proxy): route path -> `{"target": ...}`.
- Per server under its base URL: `/api`, `/api/status`, `/api/kernels`, `/api/sessions`,
  `/api/terminals`, `/api/kernelspecs`, `/metrics` and the `/api/events/subscribe` websocket.
  Servers are spread over `ports` listeners, and each answers only on its own port, so a
  client that does not use the proxy's target gets 404s.
What it does not: run kernels, emit kernel events, or count activity. Requests without
`no_track_activity=1` and requests that reach the Hub's port for a user path ("through the
proxy") are counted, so tests can assert there are none.
Churn (`churn()`): kernels change state, start and stop, all from the seeded RNG, so a run
is reproducible. Bounded: every list is created up front or capped.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import secrets
import signal
import sys
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

PAGINATION = "application/jupyterhub-pagination+json"
PAGE_DEFAULT, PAGE_MAX = 50, 200
STATES = ("idle", "idle", "idle", "busy", "starting")
MAX_KERNELS = 1000
NOW_ISO = "2026-11-25T22:38:14.389682Z"


@dataclass
class SimServer:
    user: str
    name: str  # "" for the default server
    port: int
    kernels: dict[str, dict[str, Any]] = field(default_factory=dict)
    ready: bool = True
    _cache: dict[str, bytes] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"/user/{self.user}/{self.name}/" if self.name else f"/user/{self.user}/"

    @property
    def label(self) -> str:
        return f"{self.user}/{self.name}" if self.name else self.user

    def body(self, key: str) -> bytes:
        """JSON answers are built once per change: the simulator's CPU is not the subject."""
        if key not in self._cache:
            self._cache[key] = json.dumps(self._answer(key)).encode()
        return self._cache[key]

    def _answer(self, key: str) -> Any:
        if key == "api":
            return {"version": "2.21.1"}
        if key == "api/status":
            return {"started": "2026-11-25T20:00:00.000000Z", "last_activity": NOW_ISO,
                    "connections": 0, "kernels": len(self.kernels)}
        if key == "api/kernels":
            return list(self.kernels.values())
        if key == "api/sessions":
            return [{"id": f"s-{k['id']}", "path": f"notebooks/n{i}.ipynb", "type": "notebook",
                     "kernel": k} for i, k in enumerate(self.kernels.values()) if i % 2 == 0]
        if key == "api/terminals":
            return []
        if key == "api/kernelspecs":
            return {"default": "python3", "kernelspecs": {
                "python3": {"name": "python3", "spec": {}}, "ir": {"name": "ir", "spec": {}}}}
        raise KeyError(key)

    def changed(self) -> None:
        self._cache.clear()


class FleetSim:
    def __init__(self, servers: int, kernels: int, seed: int = 0, ports: int = 4,
                 named_every: int = 10, pending_every: int = 0) -> None:
        self.rng = random.Random(seed)
        self.kernels_per_server = min(kernels, MAX_KERNELS)
        self.n_servers, self.n_ports = servers, max(1, ports)
        self.named_every, self.pending_every = named_every, pending_every
        self.hub_token = secrets.token_hex(16)
        self.proxy_token = secrets.token_hex(16)
        self.servers: dict[str, SimServer] = {}
        self.polls: Counter[str] = Counter()  # requests per server label
        self.untracked_violations = 0  # server requests without no_track_activity=1
        self.through_proxy = 0  # user-path requests that reached the Hub's port
        self.streams = 0  # open event-stream websockets
        self.hub_requests = 0
        self.hang: set[str] = set()  # server labels whose requests never answer
        self._runners: list[web.AppRunner] = []
        self.hub_port = 0
        self.server_ports: list[int] = []

    # --- fleet state ------------------------------------------------------------------------
    def _kernel(self) -> dict[str, Any]:
        kid = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
        return {"id": kid, "name": "python3" if self.rng.random() < 0.8 else "ir",
                "last_activity": NOW_ISO, "execution_state": self.rng.choice(STATES),
                "connections": self.rng.randint(0, 1)}

    def add_server(self, user: str, name: str = "", ready: bool = True) -> SimServer:
        port = self.server_ports[len(self.servers) % len(self.server_ports)]
        server = SimServer(user, name, port, ready=ready)
        for _ in range(self.kernels_per_server):
            kernel = self._kernel()
            server.kernels[kernel["id"]] = kernel
        self.servers[server.url] = server
        return server

    def remove_server(self, label: str) -> None:
        for url, server in list(self.servers.items()):
            if server.label == label:
                del self.servers[url]

    def labels(self, ready_only: bool = True) -> set[str]:
        return {s.label for s in self.servers.values() if s.ready or not ready_only}

    def churn(self, share: float = 0.1) -> None:
        """Change about `share` of the servers: a kernel changes state, one stops, one starts."""
        for server in self.servers.values():
            if self.rng.random() >= share:
                continue
            if server.kernels:
                kid = self.rng.choice(sorted(server.kernels))
                server.kernels[kid] = {**server.kernels[kid],
                                       "execution_state": self.rng.choice(STATES)}
                if self.rng.random() < 0.5:
                    del server.kernels[self.rng.choice(sorted(server.kernels))]
            if len(server.kernels) < MAX_KERNELS:
                kernel = self._kernel()
                server.kernels[kernel["id"]] = kernel
            server.changed()

    # --- hub and proxy ----------------------------------------------------------------------
    def _authorised(self, request: web.Request, token: str) -> bool:
        return request.headers.get("Authorization") == f"token {token}"

    def _user_models(self) -> list[dict[str, Any]]:
        users: dict[str, dict[str, Any]] = {}
        for server in sorted(self.servers.values(), key=lambda s: (s.user, s.name)):
            model = users.setdefault(server.user, {"name": server.user, "kind": "user",
                                                   "admin": False, "servers": {}})
            model["servers"][server.name] = {
                "name": server.name, "full_name": f"{server.user}/{server.name}",
                "url": server.url, "ready": server.ready, "pending": None if server.ready
                else "spawn", "stopped": False, "last_activity": NOW_ISO,
                "started": NOW_ISO, "user_options": {}}
        return [users[name] for name in sorted(users)]

    async def hub_users(self, request: web.Request) -> web.Response:
        self.hub_requests += 1
        if not self._authorised(request, self.hub_token):
            return web.json_response({"status": 403}, status=403)
        paginated = PAGINATION in request.headers.get("Accept", "")
        state = request.query.get("state")
        if state not in (None, "ready", "active"):
            return web.json_response({"status": 400}, status=400)
        offset = int(request.query.get("offset", "0"))
        limit = min(int(request.query.get("limit", PAGE_DEFAULT if paginated else PAGE_MAX)),
                    PAGE_MAX)
        active = self._user_models()  # users with a server record, as the Hub's SQL query
        page = active[offset:offset + limit]
        if state == "ready":  # post-filter after paging, as the Hub does: pages run short
            page = [u for u in page if any(s["ready"] for s in u["servers"].values())]
        if not paginated:
            return web.json_response(page)
        following = None
        if offset + limit < len(active):
            following = {"offset": offset + limit, "limit": limit, "url": ""}
        return web.json_response({"items": page, "_pagination": {
            "offset": offset, "limit": limit, "total": len(active), "next": following}})

    async def proxy_routes(self, request: web.Request) -> web.Response:
        if not self._authorised(request, self.proxy_token):
            return web.json_response({}, status=403)
        routes = {"/": {"target": f"http://127.0.0.1:{self.hub_port}", "jupyterhub": True}}
        for server in self.servers.values():
            routes[server.url.rstrip("/")] = {
                "target": f"http://127.0.0.1:{server.port}", "user": server.user,
                "server_name": server.name, "jupyterhub": True, "last_activity": NOW_ISO}
        return web.json_response(routes)

    async def hub_other(self, request: web.Request) -> web.Response:
        if request.path.startswith("/user/"):
            self.through_proxy += 1
        return web.Response(status=404)

    # --- single-user servers --------------------------------------------------------------
    def _server_for(self, path: str) -> tuple[SimServer, str] | None:
        parts = path.split("/")  # "", "user", name, [server], rest...
        if len(parts) < 4 or parts[1] != "user":
            return None
        for depth in (4, 3):
            url = "/".join(parts[:depth]) + "/"
            if url in self.servers:
                return self.servers[url], "/".join(parts[depth:])
        return None

    async def server_request(self, request: web.Request) -> web.StreamResponse:
        found = self._server_for(request.path)
        if found is None or found[0].port != request.url.port:
            return web.Response(status=404)
        server, rest = found
        if not self._authorised(request, self.hub_token):
            return web.json_response({"message": "Forbidden"}, status=403)
        if request.query.get("no_track_activity") != "1":
            self.untracked_violations += 1
        self.polls[server.label] += 1
        if server.label in self.hang:
            await asyncio.sleep(3600)
        if rest == "api/events/subscribe":
            return await self._events(request)
        if rest == "metrics":
            count = len(server.kernels)
            text = ("# HELP http_request_duration_seconds duration\n"
                    "# TYPE http_request_duration_seconds histogram\n"
                    'http_request_duration_seconds_count{handler="jupyter_server.services.'
                    'kernels.handlers.MainKernelHandler",method="GET",status_code="200"} '
                    f"{count}.0\n")
            return web.Response(text=text, content_type="text/plain")
        if request.method != "GET":
            return web.Response(status=405)
        try:
            body = server.body(rest)
        except KeyError:
            return web.Response(status=404)
        return web.Response(body=body, content_type="application/json")

    async def _events(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.streams += 1
        try:
            async for msg in ws:
                if msg.type == WSMsgType.ERROR:
                    break
        finally:
            self.streams -= 1
        return ws

    # --- lifecycle ----------------------------------------------------------------------------
    async def start(self) -> None:
        hub = web.Application()
        hub.router.add_get("/hub/api/users", self.hub_users)
        hub.router.add_get("/api/routes", self.proxy_routes)
        hub.router.add_route("*", "/{tail:.*}", self.hub_other)
        self.hub_port = await self._listen(hub)
        for _ in range(self.n_ports):
            app = web.Application()
            app.router.add_route("*", "/{tail:.*}", self.server_request)
            self.server_ports.append(await self._listen(app))
        for i in range(self.n_servers):
            user = f"u{i:05d}"
            pending = self.pending_every and i % self.pending_every == self.pending_every - 1
            self.add_server(user, ready=not pending)
            if self.named_every and i % self.named_every == 0:
                self.add_server(user, "gpu")

    async def _listen(self, app: web.Application) -> int:
        runner = web.AppRunner(app, access_log=None, handler_cancellation=True)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
        await site.start()
        self._runners.append(runner)
        return site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        for runner in self._runners:
            await runner.cleanup()

    @property
    def hub_url(self) -> str:
        return f"http://127.0.0.1:{self.hub_port}/"

    proxy_api_url = hub_url  # the proxy's API shares the Hub's listener here


async def _serve(args: argparse.Namespace) -> None:
    sim = FleetSim(args.servers, args.kernels, args.seed, args.ports)
    await sim.start()
    print(json.dumps({"hub_url": sim.hub_url, "proxy_api_url": sim.proxy_api_url,
                      "hub_token": sim.hub_token, "proxy_token": sim.proxy_token,
                      "servers": len(sim.servers)}), flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    while not stop.is_set():
        if args.churn:
            sim.churn(args.churn)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), args.churn_every)
    await sim.stop()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.fleetsim", description=__doc__)
    p.add_argument("--servers", type=int, default=100)
    p.add_argument("--kernels", type=int, default=20)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--ports", type=int, default=4)
    p.add_argument("--churn", type=float, default=0.1, help="share of servers changed per tick")
    p.add_argument("--churn-every", type=float, default=5.0)
    args = p.parse_args(argv)
    if not 0 < args.servers <= 20_000:
        print("--servers must be 1..20000", file=sys.stderr)
        return 2
    asyncio.run(_serve(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
