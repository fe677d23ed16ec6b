"""A delaying reverse proxy on 127.0.0.1: forwards every HTTP request to one upstream after
`delay` seconds, and passes websockets through (after the same delay), so the exporter's
polls and event stream both see a slow server.

Conventions: the delay is read per request, so a test changes it on the fly with
`proxy.delay = ...` (on the proxy's loop: `LoopThread.call`); `in_flight` counts requests
held or being forwarded; bodies are passed whole (the upstream is a Jupyter Server, whose
answers are small). Nothing but loopback is ever targeted.
"""

from __future__ import annotations

import asyncio
import contextlib

import aiohttp
from aiohttp import WSMsgType, web

HOP_BY_HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "upgrade",
                        "content-length", "host", "content-encoding"})


class DelayProxy:
    def __init__(self, upstream: str, delay: float = 0.0) -> None:
        assert upstream.startswith("http://127.0.0.1:"), "loopback upstreams only"
        self.upstream = upstream.rstrip("/")
        self.delay = delay
        self.in_flight = 0
        self.forwarded = 0
        self.port = 0
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(auto_decompress=False)
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, handler_cancellation=True)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        assert self._session is not None
        self.in_flight += 1
        try:
            await asyncio.sleep(self.delay)
            url = self.upstream + request.rel_url.path_qs
            headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
            if request.headers.get("Upgrade", "").lower() == "websocket":
                return await self._websocket(request, url, headers)
            body = await request.read()
            try:
                async with self._session.request(request.method, url, headers=headers,
                                                 data=body or None,
                                                 allow_redirects=False) as resp:
                    payload = await resp.read()
                    out = {k: v for k, v in resp.headers.items() if k.lower() not in HOP_BY_HOP}
                    self.forwarded += 1
                    return web.Response(status=resp.status, body=payload, headers=out)
            except aiohttp.ClientError:
                return web.Response(status=502, text="<html><body>502 Bad Gateway</body></html>",
                                    content_type="text/html")
        finally:
            self.in_flight -= 1

    async def _websocket(self, request: web.Request, url: str,
                         headers: dict[str, str]) -> web.StreamResponse:
        assert self._session is not None
        headers = {k: v for k, v in headers.items() if not k.lower().startswith("sec-websocket")}
        try:
            upstream = await self._session.ws_connect("ws" + url[4:], headers=headers)
        except (aiohttp.ClientError, aiohttp.WSServerHandshakeError):
            return web.Response(status=502)
        client = web.WebSocketResponse()
        await client.prepare(request)

        async def pump(src, dst) -> None:  # type: ignore[no-untyped-def]
            async for msg in src:
                if msg.type == WSMsgType.TEXT:
                    await dst.send_str(msg.data)
                elif msg.type == WSMsgType.BINARY:
                    await dst.send_bytes(msg.data)
                else:
                    break

        async with upstream:
            tasks = [asyncio.create_task(pump(upstream, client)),
                     asyncio.create_task(pump(client, upstream))]
            try:
                await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for task in tasks:
                    task.cancel()
                with contextlib.suppress(Exception):
                    await asyncio.gather(*tasks, return_exceptions=True)
        await client.close()
        return client
