"""HTTP access to one Jupyter Server: explicit timeouts, no activity, no leaked token.

Two transports: the REST polls' GETs (`fetch`) go over `http1.Http1Client`, a lean
HTTP/1.1 client with one keep-alive connection per server, because a fleet's poll cycle is
thousands of small GETs and their per-request CPU is what bounds an exporter's fleet size;
everything else (`request`, `get_json`, websockets through `session`) uses aiohttp.

Conventions:
- every request carries `no_track_activity=1`, so the exporter never keeps a server or kernel
  looking busy to an idle culler (research/jupyter.md §1.1);
- the token travels only in the `Authorization` header, never in a URL, so it cannot reach an
  access log, an exception message or a label;
- a token from a file follows rotation: a 401/403 asks the file's `tokens.TokenFile` to
  re-read it (rate-limited there), and before every request the client switches to the
  file's current token if it changed (another client's re-read counts too); the refused
  request still fails, the next one carries the new token;
- failures become `UpstreamError` with a `reason` from `naming.POLL_ERROR_REASONS` and a short
  message that names the path, never the token or the response body.
"""

from __future__ import annotations

import asyncio
import json
import ssl
from typing import Any

import aiohttp

from exporter import naming
from exporter.config import Target
from exporter.sources import tokens
from exporter.sources.http1 import BodyTooLarge, Http1Client, HttpError

NO_TRACK = {"no_track_activity": "1"}
NO_TRACK_QUERY = "no_track_activity=1"
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
    if isinstance(exc, OSError):  # before ValueError: a failed TLS verification is both
        return naming.REASON_REFUSED
    if isinstance(exc, aiohttp.ContentTypeError | ValueError):
        return naming.REASON_BAD_PAYLOAD
    return naming.REASON_REFUSED  # connection refused, reset or dropped


class JupyterClient:
    """Owns the target's aiohttp ClientSession (unless shared) and its polls' keep-alive
    connection (`http1`); use as an async context manager."""

    def __init__(self, target: Target, timeout: float,
                 session: aiohttp.ClientSession | None = None,
                 ssl_context: ssl.SSLContext | None = None) -> None:
        """`session`: a session shared by many clients (Hub mode: one per fleet, not per
        server); headers then travel with each request, and the owner closes it.
        `ssl_context`: for `fetch` against an https target (default: the system's verified
        context, as aiohttp's default)."""
        self.target = target
        self._ssl_context = ssl_context
        self._http1: Http1Client | None = None
        self._shared = session
        self.request_timeout = timeout
        # No session-wide total: a websocket handshake to a booting kernel may take longer
        # than a REST call, so every call states its own limit (REST here, ws in callers).
        self.timeout = aiohttp.ClientTimeout(total=None, sock_connect=min(timeout, 5.0))
        headers = {"User-Agent": "jupyter-slo-exporter"}
        # A worker made after a rotation (Hub mode) starts with the file's current token.
        self._token_file = tokens.watch(target.token)
        self._generation = self._token_file.generation if self._token_file else 0
        if target.token is not None:
            token = tokens.current(target.token, self._token_file)
            headers["Authorization"] = f"token {token.value}"
        self._headers = headers
        self._session: aiohttp.ClientSession | None = session

    async def __aenter__(self) -> JupyterClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the client's own session and poll connection; a shared session is its
        owner's to close."""
        if self._http1 is not None:
            self._http1.close()
            self._http1 = None
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
        """Headers for a caller's own request (websockets), with the current token."""
        self._follow_token()
        return dict(self._headers)

    def _follow_token(self) -> None:
        """Switch every transport to the token file's current token if it changed since this
        client last looked; a cheap int comparison when it did not."""
        token_file = self._token_file
        if token_file is None or token_file.generation == self._generation:
            return
        self._generation = token_file.generation
        value = f"token {token_file.secret.value}"
        self._headers["Authorization"] = value
        if self._session is not None and self._shared is None:
            self._session.headers["Authorization"] = value
        if self._http1 is not None:
            self._http1.set_headers({"Authorization": value})

    async def _refused(self) -> None:
        """After a 401/403: have the token file re-read (at most once per its interval) and
        take a changed token for the next request."""
        if self._token_file is not None:
            await self._token_file.reread(self.target.name)
            self._follow_token()

    async def request(self, method: str, path: str, body: Any = None,
                      timeout: float | None = None,
                      query: dict[str, str] | None = None) -> tuple[int, bytes]:
        """Raw request; non-2xx answers become UpstreamError."""
        self._follow_token()
        kwargs: dict[str, Any] = {"params": {**(query or {}), **NO_TRACK},
                                  "allow_redirects": False, "headers": dict(self._headers)}
        if body is not None:
            kwargs["data"] = json.dumps(body)
            kwargs["headers"]["Content-Type"] = "application/json"
        kwargs["timeout"] = aiohttp.ClientTimeout(total=timeout or self.request_timeout)
        url = self.target.api(path)
        async with self.session.request(method, url, **kwargs) as resp:
            status = resp.status
            if status < 300:
                return status, await read_capped(resp, f"{method} {path}")
        reason = reason_for_status(status)
        if reason == naming.REASON_AUTH:
            await self._refused()
        raise UpstreamError(reason, f"{method} {path}: HTTP {status}", status)

    @property
    def http1(self) -> Http1Client:
        """The polls' connection to this server, made on first use."""
        if self._http1 is None:
            auth = {"Authorization": self._headers["Authorization"]} \
                if "Authorization" in self._headers else {}
            self._http1 = Http1Client(self.target.url, auth, MAX_BODY, self._ssl_context)
        return self._http1

    async def fetch(self, path: str) -> bytes:
        """The body of `GET <path>?no_track_activity=1` over the polls' keep-alive
        connection; a non-2xx answer, or one that is not HTTP or too large, becomes an
        UpstreamError; connection failures and timeouts raise as OSError/TimeoutError."""
        self._follow_token()
        try:
            status, body = await self.http1.get(f"{path}?{NO_TRACK_QUERY}",
                                                self.request_timeout)
        except BodyTooLarge:
            raise UpstreamError(naming.REASON_BAD_PAYLOAD, f"GET {path}: body too large"
                                ) from None
        except HttpError:
            raise UpstreamError(naming.REASON_BAD_PAYLOAD, f"GET {path}: not an HTTP answer"
                                ) from None
        if status >= 300:
            reason = reason_for_status(status)
            if reason == naming.REASON_AUTH:
                await self._refused()
            raise UpstreamError(reason, f"GET {path}: HTTP {status}", status)
        return body

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
