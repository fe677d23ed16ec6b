"""HTTP access to one Jupyter Server: one aiohttp session, explicit timeouts, no activity.

Conventions:
- every request carries `no_track_activity=1`, so the exporter never keeps a server or kernel
  looking busy to an idle culler (research/jupyter.md §1.1);
- the token travels only in the `Authorization` header, never in a URL, so it cannot reach an
  access log, an exception message or a label;
- failures become `UpstreamError` with a `reason` from `naming.POLL_ERROR_REASONS` and a short
  message that names the path, never the token or the response body.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp

from exporter import naming
from exporter.config import Target

NO_TRACK = {"no_track_activity": "1"}
MAX_BODY = 8 * 1024 * 1024


async def read_capped(resp: aiohttp.ClientResponse, what: str, limit: int = MAX_BODY) -> bytes:
    """The whole body, or UpstreamError past `limit` bytes. (`content.read(n)` alone returns
    whatever has arrived so far, which cuts large bodies short.)"""
    chunks, size = [], 0
    while chunk := await resp.content.read(64 * 1024):
        size += len(chunk)
        if size > limit:
            raise UpstreamError(naming.REASON_BAD_PAYLOAD, f"{what}: body too large")
        chunks.append(chunk)
    return b"".join(chunks)


class UpstreamError(Exception):
    def __init__(self, reason: str, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.status = status


def reason_for_status(status: int) -> str:
    if status in (401, 403):
        return naming.REASON_AUTH
    return naming.REASON_HTTP_5XX if status >= 500 else naming.REASON_HTTP_4XX


def classify(exc: BaseException) -> str:
    """The poll-error reason for an exception raised while talking to a server."""
    if isinstance(exc, UpstreamError):
        return exc.reason
    if isinstance(exc, asyncio.TimeoutError | aiohttp.ServerTimeoutError):
        return naming.REASON_TIMEOUT
    if isinstance(exc, aiohttp.ClientResponseError):
        return reason_for_status(exc.status)
    if isinstance(exc, aiohttp.ContentTypeError | ValueError):
        return naming.REASON_BAD_PAYLOAD
    return naming.REASON_REFUSED  # connection refused, reset or dropped


class JupyterClient:
    """Owns the target's single ClientSession; use as an async context manager."""

    def __init__(self, target: Target, timeout: float,
                 session: aiohttp.ClientSession | None = None) -> None:
        """`session`: a session shared by many clients (Hub mode: one per fleet, not per
        server); headers then travel with each request, and the owner closes it."""
        self.target = target
        self._shared = session
        self.request_timeout = timeout
        # No session-wide total: a websocket handshake to a booting kernel may take longer
        # than a REST call, so every call states its own limit (REST here, ws in callers).
        self.timeout = aiohttp.ClientTimeout(total=None, sock_connect=min(timeout, 5.0))
        headers = {"User-Agent": "jupyter-slo-exporter"}
        if target.token is not None:
            headers["Authorization"] = f"token {target.token.value}"
        self._headers = headers
        self._session: aiohttp.ClientSession | None = session

    async def __aenter__(self) -> JupyterClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the client's own session; a shared one is its owner's to close."""
        if self._session is not None and self._shared is None:
            await self._session.close()
            self._session = None

    @property
    def session(self) -> aiohttp.ClientSession:
        """Created on first use (inside a running loop), so a client can be built anywhere."""
        if self._session is None:
            self._session = aiohttp.ClientSession(
                headers=self._headers, timeout=self.timeout,
                connector=aiohttp.TCPConnector(limit=8, force_close=False))
        return self._session

    @property
    def auth_headers(self) -> dict[str, str]:
        return dict(self._headers)

    async def request(self, method: str, path: str, body: Any = None,
                      timeout: float | None = None,
                      query: dict[str, str] | None = None) -> tuple[int, bytes]:
        """Raw request; non-2xx answers become UpstreamError."""
        kwargs: dict[str, Any] = {"params": {**(query or {}), **NO_TRACK},
                                  "allow_redirects": False, "headers": dict(self._headers)}
        if body is not None:
            kwargs["data"] = json.dumps(body)
            kwargs["headers"]["Content-Type"] = "application/json"
        kwargs["timeout"] = aiohttp.ClientTimeout(total=timeout or self.request_timeout)
        url = self.target.api(path)
        async with self.session.request(method, url, **kwargs) as resp:
            if resp.status >= 300:
                raise UpstreamError(reason_for_status(resp.status),
                                    f"{method} {path}: HTTP {resp.status}", resp.status)
            return resp.status, await read_capped(resp, f"{method} {path}")

    async def get_json(self, path: str, query: dict[str, str] | None = None) -> Any:
        _, data = await self.request("GET", path, query=query)
        try:
            return json.loads(data)
        except ValueError:
            raise UpstreamError(naming.REASON_BAD_PAYLOAD, f"GET {path}: not JSON") from None

    async def get_text(self, path: str) -> str:
        _, data = await self.request("GET", path)
        return data.decode("utf-8", errors="replace")

    def ws_url(self, path: str) -> str:
        url = self.target.api(path)
        return "ws" + url[4:] if url.startswith("http") else url
