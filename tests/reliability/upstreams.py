"""Fake upstreams built on the fleet simulator (bench/fleetsim.py), not beside it: the
simulator already speaks the Jupyter Server REST API a poll reads; these subclasses add
what fault injection needs.

- `FaultySim`: answers a chosen kind of garbage (`GARBAGE`) instead of the real answer, on
  every REST path of every server; the event stream is left alone.
- `EventSim`: remembers each server's event-stream websockets, so a test can start and stop
  kernels the way a real server does (REST changes plus a `kernel_actions` event) and can
  flood the stream with forged events.

Conventions: run on a `LoopThread`; mutate only through `LoopThread.call`/`run`. A single
server is reached as a plain `--jupyter-url` target at `single_url()` with `hub_token`
(the simulator checks that token on every server path).
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from aiohttp import WSMsgType, web

from bench.fleetsim import NOW_ISO, FleetSim, SimServer
from exporter import naming

HTML_502 = ("<html><head><title>502 Bad Gateway</title></head><body><center>"
            "<h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>")


async def _html_502(body: bytes, request: web.Request) -> web.StreamResponse:
    return web.Response(status=502, text=HTML_502, content_type="text/html")


async def _html_200(body: bytes, request: web.Request) -> web.StreamResponse:
    return web.Response(status=200, text="<!doctype html><title>Sign in</title><form></form>",
                        content_type="text/html")


async def _truncated(body: bytes, request: web.Request) -> web.StreamResponse:
    """Half of the real JSON with a matching length: a whole answer that does not parse."""
    return web.Response(body=body[: max(1, len(body) // 2)], content_type="application/json")


async def _cut(body: bytes, request: web.Request) -> web.StreamResponse:
    """Promises the whole body, sends half, drops the connection."""
    body = body if len(body) > 64 else body + b" " * 64
    resp = web.StreamResponse(status=200, headers={"Content-Type": "application/json"})
    resp.content_length = len(body)
    await resp.prepare(request)
    await resp.write(body[: len(body) // 2])
    assert request.transport is not None
    request.transport.close()
    return resp


async def _wrong_shape(body: bytes, request: web.Request) -> web.StreamResponse:
    return web.json_response({"kernels": "lots", "version": 2})


async def _null(body: bytes, request: web.Request) -> web.StreamResponse:
    return web.Response(body=b"null", content_type="application/json")


async def _huge(body: bytes, request: web.Request) -> web.StreamResponse:
    """A JSON list longer than the client's body cap (8 MiB), streamed."""
    resp = web.StreamResponse(status=200, headers={"Content-Type": "application/json"})
    await resp.prepare(request)
    chunk = b'{"id": "00000000-0000-4000-8000-000000000000", "name": "python3"},' * 1024
    await resp.write(b"[")
    for _ in range(10 * 1024 * 1024 // len(chunk) + 1):
        await resp.write(chunk)
    await resp.write(b"{}]")
    return resp


async def _forbidden(body: bytes, request: web.Request) -> web.StreamResponse:
    """What Jupyter Server answers an API call whose token it no longer accepts."""
    return web.json_response({"message": "Forbidden", "reason": None}, status=403)


async def _unauthorized(body: bytes, request: web.Request) -> web.StreamResponse:
    return web.json_response({"message": "Unauthorized"}, status=401)


Garbage = Callable[[bytes, web.Request], Awaitable[web.StreamResponse]]
GARBAGE: dict[str, Garbage] = {
    "html-502": _html_502, "html-200": _html_200, "truncated-json": _truncated,
    "cut-connection": _cut, "wrong-shape": _wrong_shape, "json-null": _null,
    "huge-body": _huge, "token-expired-403": _forbidden, "token-wrong-401": _unauthorized,
}


class FaultySim(FleetSim):
    """`fault` names a `GARBAGE` entry, or None for the real answers; `only`, when set, is
    the one server path (`metrics`, `api/kernels`) that answers it."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.fault: str | None = None
        self.only: str | None = None
        self.faulted = 0  # answers replaced by garbage

    async def server_request(self, request: web.Request) -> web.StreamResponse:
        found = self._server_for(request.path)
        if self.fault is None or found is None or found[1] == "api/events/subscribe" \
                or self.only not in (None, found[1]):
            return await super().server_request(request)
        server, rest = found
        try:
            body = server.body(rest)
        except KeyError:
            body = b"{}"
        self.faulted += 1
        return await GARBAGE[self.fault](body, request)


def single_url(sim: FleetSim) -> str:
    server = next(iter(sim.servers.values()))
    return f"http://127.0.0.1:{server.port}{server.url}"


def kernel_event(action: str, kernel_id: str, kernel_name: str) -> dict[str, Any]:
    """A `kernel_actions` event as Jupyter Server 2.x puts it on the stream."""
    return {"schema_id": naming.KERNEL_ACTIONS_SCHEMA, "version": "1", "action": action,
            "kernel_id": kernel_id, "kernel_name": kernel_name, "status": "success",
            "msg": f"Kernel {action}"}


class EventSim(FleetSim):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.sockets: dict[str, set[web.WebSocketResponse]] = defaultdict(set)
        self.sent = 0
        self.connects = 0  # event-stream subscriptions accepted, over the sim's life
        self.started_kernels = 0
        self.stopped_kernels = 0

    async def server_request(self, request: web.Request) -> web.StreamResponse:
        found = self._server_for(request.path)
        if found is None or found[1] != "api/events/subscribe" \
                or found[0].port != request.url.port \
                or not self._authorised(request, self.hub_token):
            return await super().server_request(request)
        server = found[0]
        if request.query.get("no_track_activity") != "1":
            self.untracked_violations += 1
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.streams += 1
        self.connects += 1
        self.sockets[server.label].add(ws)
        try:
            async for msg in ws:
                if msg.type == WSMsgType.ERROR:
                    break
        finally:
            self.sockets[server.label].discard(ws)
            self.streams -= 1
        return ws

    def server(self, label: str) -> SimServer:
        return next(s for s in self.servers.values() if s.label == label)

    async def emit(self, label: str, payloads: Iterable[Any]) -> int:
        """Send each payload (JSON-encoded unless already a str) on every open stream."""
        sent = 0
        for payload in payloads:
            text = payload if isinstance(payload, str) else json.dumps(payload)
            for ws in list(self.sockets[label]):
                if not ws.closed:
                    try:
                        await ws.send_str(text)
                    except ConnectionError:
                        continue
                    sent += 1
            if sent % 256 == 0:
                await asyncio.sleep(0)
        self.sent += sent
        return sent

    async def start_kernel(self, label: str, name: str = "python3") -> str:
        server = self.server(label)
        kid = str(uuid.uuid4())
        server.kernels[kid] = {"id": kid, "name": name, "last_activity": NOW_ISO,
                               "execution_state": "idle", "connections": 0}
        server.changed()
        self.started_kernels += 1
        await self.emit(label, [kernel_event("start", kid, name)])
        return kid

    async def stop_kernel(self, label: str, kid: str) -> None:
        server = self.server(label)
        kernel = server.kernels.pop(kid)
        server.changed()
        self.stopped_kernels += 1
        await self.emit(label, [kernel_event("shutdown", kid, kernel["name"])])
