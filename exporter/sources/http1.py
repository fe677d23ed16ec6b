"""A lean HTTP/1.1 GET client for the REST polls: one persistent connection per server.

Why not aiohttp here: a poll cycle over a large fleet is thousands of small GETs, and
aiohttp's client costs about 0.25 ms of CPU per request (URL objects, header multidicts,
tracing hooks, a stream reader per response); this client does what a poll needs and no
more, several times cheaper (bench/fleet_poll.py). aiohttp stays for everything else:
websockets (event stream, kernel probes), PUT/POST/DELETE, the Hub and proxy APIs.

What it does:
- GET only (idempotent, so a request may be sent again on a fresh connection);
- one keep-alive connection per `Http1Client`, reused across polls; a request that finds
  it busy (another request in flight) or gone opens a new one, and at most one idle
  connection is kept;
- bodies framed by `Content-Length`, `Transfer-Encoding: chunked`, or the connection's
  end; 1xx interim answers are skipped; 204/304 carry no body;
- a body past `limit` bytes, or a head past `MAX_HEAD`, ends the request with an
  `HttpError` and closes the connection (never a memory spike);
- one time limit per request, connecting included (`TimeoutError`);
- a reused connection that the server closed while it sat idle (keep-alive timeout,
  restart) is detected either before sending (the close was already seen) or as a close
  before the first byte of the answer; the request is then sent once more on a fresh
  connection; a connection that drops after bytes of the answer arrived is an error
  (`ConnectionResetError`: the poll's `refused`), never a retry;
- TLS through the `ssl.SSLContext` given (default: the system's verified context, which
  is what aiohttp uses by default).

Errors: `HttpError` (`HttpProtocolError`, `BodyTooLarge`) for what the server sent that is
not HTTP or is too large, `TimeoutError`, and `OSError`s for the connection; the caller
(exporter.sources.client) maps them to `naming.POLL_ERROR_REASONS`. This module knows
nothing of Jupyter or of the exporter's reasons. Messages name the
method and path only. Secrets: the request head, which carries the `Authorization` header,
is built once (again only when the caller switches to a rotated token, `set_headers`),
kept in a slot that no repr shows, and never appears in an error or a log;
the token is never put in a URL.
"""

from __future__ import annotations

import asyncio
import ssl
from urllib.parse import urlsplit

MAX_HEAD = 64 * 1024  # status line + headers
USER_AGENT = "jupyter-slo-exporter"
_NO_BODY = frozenset({204, 304})

_default_ssl: ssl.SSLContext | None = None


def default_ssl_context() -> ssl.SSLContext:
    """The system's verified context, built once per process (building one loads the CA
    bundle, which costs milliseconds and memory)."""
    global _default_ssl
    if _default_ssl is None:
        _default_ssl = ssl.create_default_context()
    return _default_ssl


class HttpError(Exception):
    """What the server sent cannot be used; the caller turns it into `bad_payload`."""


class HttpProtocolError(HttpError):
    """The peer's bytes are not an HTTP/1.x answer."""


class BodyTooLarge(HttpError):
    """The answer's body is longer than the client's limit."""


class _ClosedEarly(ConnectionResetError):
    """The connection ended before the first byte of the answer: a reused connection the
    server had already closed, so the request may be sent again on a fresh one."""


class _Connection(asyncio.Protocol):
    """One TCP (or TLS) connection and the parser for the one answer awaited on it.

    The parser is incremental: `data_received` appends to a buffer and moves a small state
    machine (head, then a body by length, by chunks, or until the end) as far as the bytes
    allow; usually a whole answer arrives in one call and is done in one pass.
    """

    __slots__ = ("_body_left", "_buf", "_chunks", "_got", "_keep", "_limit", "_mode",
                 "_scan", "_status", "_waiter", "busy", "closed", "transport")

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.busy = False
        self._buf = bytearray()
        self._waiter: asyncio.Future[tuple[int, bytes]] | None = None
        self._reset()

    def _reset(self) -> None:
        self._mode = "head"  # head | length | chunk-size | chunk-data | chunk-trailer | eof
        self._scan = 0  # where the search for the end of the head resumes
        self._status = 0
        self._keep = True
        self._body_left = 0
        self._chunks: list[bytes] = []
        self._got = 0  # body bytes so far (chunked and until-close bodies)

    # --- asyncio.Protocol ----------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        if self._waiter is None or self._waiter.done():
            # Bytes nobody asked for (we never pipeline): the connection cannot be trusted.
            self.abort()
            return
        self._buf += data
        try:
            self._advance()
        except HttpError as exc:
            self._fail(exc)

    def eof_received(self) -> bool:
        return False  # close our side too; connection_lost follows

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        waiter = self._waiter
        if waiter is None or waiter.done():
            return
        if self._mode == "eof":  # a body delimited by the end of the connection
            self._finish(bytes(self._buf), keep=False)
        elif self._mode == "head" and not self._buf:
            waiter.set_exception(_ClosedEarly("connection closed before an answer"))
        else:
            waiter.set_exception(ConnectionResetError("connection closed mid-answer"))

    # --- requests ------------------------------------------------------------------------
    @property
    def usable(self) -> bool:
        return not self.closed and self.transport is not None \
            and not self.transport.is_closing()

    async def send(self, request: bytes) -> tuple[int, bytes]:
        """Write one request and wait for its whole answer (status, body)."""
        assert self.transport is not None and not self.busy
        self.busy = True
        self._reset()
        self._buf.clear()
        waiter = asyncio.get_running_loop().create_future()
        self._waiter = waiter
        self.transport.write(request)
        try:
            return await waiter
        finally:
            self._waiter = None
            self.busy = False

    def abort(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.abort()

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    # --- parsing -------------------------------------------------------------------------
    def _fail(self, exc: BaseException) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_exception(exc)
        self.abort()

    def _finish(self, body: bytes, keep: bool) -> None:
        assert self._waiter is not None
        self._keep = keep
        if not keep or self._buf:  # leftover bytes after the answer: not reusable either
            self.close()
        self._waiter.set_result((self._status, body))

    def _advance(self) -> None:
        buf = self._buf
        while True:
            mode = self._mode
            if mode == "head":
                end = buf.find(b"\r\n\r\n", self._scan)
                if end < 0:
                    if len(buf) > MAX_HEAD:
                        raise HttpProtocolError("head too large")
                    self._scan = max(0, len(buf) - 3)
                    return
                head = bytes(buf[:end])
                del buf[:end + 4]
                if self._head(head):
                    continue  # an interim 1xx answer: the real one follows
                if self._mode == "done":
                    self._finish(b"", self._keep)
                    return
            elif mode == "length":
                if len(buf) < self._body_left:
                    return
                body = bytes(buf[:self._body_left])
                del buf[:self._body_left]
                self._finish(body, self._keep)
                return
            elif mode == "chunk-size":
                end = buf.find(b"\r\n")
                if end < 0:
                    if len(buf) > 1024:
                        raise HttpProtocolError("chunk size line too long")
                    return
                text = bytes(buf[:end]).split(b";", 1)[0].strip()
                del buf[:end + 2]
                try:
                    size = int(text, 16)
                except ValueError:
                    raise HttpProtocolError("bad chunk size") from None
                if size < 0:
                    raise HttpProtocolError("bad chunk size")
                if size == 0:
                    self._mode = "chunk-trailer"
                    continue
                self._grow(size)
                self._body_left = size
                self._mode = "chunk-data"
            elif mode == "chunk-data":
                if len(buf) < self._body_left + 2:
                    return
                if buf[self._body_left:self._body_left + 2] != b"\r\n":
                    raise HttpProtocolError("chunk not followed by CRLF")
                self._chunks.append(bytes(buf[:self._body_left]))
                del buf[:self._body_left + 2]
                self._mode = "chunk-size"
            elif mode == "chunk-trailer":
                end = buf.find(b"\r\n")
                if end < 0:
                    if len(buf) > MAX_HEAD:
                        raise HttpProtocolError("trailer too large")
                    return
                line = bytes(buf[:end])
                del buf[:end + 2]
                self._grow(len(line) + 2)
                if not line:  # the empty line that ends the trailer
                    self._finish(b"".join(self._chunks), self._keep)
                    return
            else:  # eof: the body is whatever arrives until the connection ends
                self._got = len(buf)
                if self._got > self._limit:
                    raise BodyTooLarge("body too large")
                return

    def _grow(self, size: int) -> None:
        self._got += size
        if self._got > self._limit:
            raise BodyTooLarge("body too large")

    def _head(self, head: bytes) -> bool:
        """Read the status line and the headers that frame the body; True for a 1xx."""
        lines = head.split(b"\r\n")
        parts = lines[0].split(b" ", 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or len(parts[1]) != 3 \
                or not parts[1].isdigit():
            raise HttpProtocolError("not an HTTP/1.x status line")
        status = int(parts[1])
        if 100 <= status < 200:
            if status == 101:
                raise HttpProtocolError("unexpected protocol switch")
            return True
        self._status = status
        keep = parts[0] == b"HTTP/1.1"
        length: int | None = None
        chunked = False
        for line in lines[1:]:
            name, sep, value = line.partition(b":")
            if not sep:
                if line[:1] in (b" ", b"\t"):  # obsolete line folding: a continuation
                    continue
                raise HttpProtocolError("malformed header line")
            key = name.strip().lower()
            if key == b"content-length":
                try:
                    value_int = int(value.strip())
                except ValueError:
                    raise HttpProtocolError("bad Content-Length") from None
                if value_int < 0 or (length is not None and length != value_int):
                    raise HttpProtocolError("bad Content-Length")
                length = value_int
            elif key == b"transfer-encoding":
                chunked = value.strip().lower().endswith(b"chunked")
            elif key == b"connection":
                tokens = {t.strip() for t in value.lower().split(b",")}
                if b"close" in tokens:
                    keep = False
                elif b"keep-alive" in tokens:
                    keep = True
        self._keep = keep
        if status in _NO_BODY:
            self._mode = "done"
        elif chunked:  # chunked wins over a Content-Length (RFC 9112 §6.3)
            self._mode = "chunk-size"
        elif length is not None:
            if length > self._limit:
                raise BodyTooLarge("body too large")
            self._body_left = length
            self._mode = "length"
        else:
            self._keep = False
            self._mode = "eof"
            if len(self._buf) > self._limit:
                raise BodyTooLarge("body too large")
        return False


class Http1Client:
    """GETs against one server (`base_url`: scheme://host:port/base/), over one reused
    connection. `headers` travel with every request (the `Authorization` header among
    them); `Host`, `User-Agent` and the framing headers are added here."""

    __slots__ = ("_closed", "_head_tail", "_host", "_idle", "_limit", "_netloc", "_port",
                 "_prefix", "_server_hostname", "_ssl")

    def __init__(self, base_url: str, headers: dict[str, str], limit: int,
                 ssl_context: ssl.SSLContext | None = None) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("base_url must be http(s)://host[:port]/...")
        self._host = parts.hostname
        self._port = parts.port or (443 if parts.scheme == "https" else 80)
        self._ssl = (ssl_context or default_ssl_context()) if parts.scheme == "https" else None
        self._server_hostname = self._host if self._ssl is not None else None
        self._prefix = (parts.path or "/").rstrip("/") + "/"
        self._netloc = parts.netloc.rsplit("@", 1)[-1]
        self._head_tail = b""
        self.set_headers(headers)
        self._limit = limit
        self._idle: _Connection | None = None
        self._closed = False

    def set_headers(self, headers: dict[str, str]) -> None:
        """Send `headers` (instead of those given before) from the next request on; the
        idle connection stays, since headers are per request. The caller switches to a
        rotated token this way (exporter.sources.client)."""
        lines = [f"Host: {self._netloc}", f"User-Agent: {USER_AGENT}", "Accept: */*",
                 "Accept-Encoding: identity"]
        lines += [f"{k}: {v}" for k, v in headers.items()
                  if k.lower() not in ("host", "user-agent", "accept-encoding", "connection")]
        for line in lines:
            if "\r" in line or "\n" in line:
                raise ValueError("a header must not contain a line break")
        self._head_tail = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def __repr__(self) -> str:  # never the head, which holds the token
        return f"Http1Client({self._host}:{self._port}{self._prefix})"

    async def get(self, path_qs: str, timeout: float) -> tuple[int, bytes]:
        """(status, body) of `GET <base><path_qs>`; `path_qs` is relative to the base URL
        and already encoded. Any status is returned; the caller judges it."""
        request = b"GET " + (self._prefix + path_qs.lstrip("/")).encode("ascii") \
            + b" HTTP/1.1\r\n" + self._head_tail
        async with asyncio.timeout(timeout):
            conn, reused = self._take()
            if conn is None:
                conn = await self._connect()
            try:
                try:
                    status, body = await conn.send(request)
                except _ClosedEarly:
                    if not reused:  # a fresh connection: nothing stale to blame
                        raise
                    conn.abort()
                    conn = await self._connect()
                    status, body = await conn.send(request)
            except _ClosedEarly:
                conn.abort()
                raise ConnectionResetError("connection closed before an answer") from None
            except BaseException:  # timeout, cancellation, bad answer: never reuse it
                conn.abort()
                raise
        self._give_back(conn)
        return status, body

    def _take(self) -> tuple[_Connection | None, bool]:
        conn, self._idle = self._idle, None
        if conn is not None and conn.usable:
            return conn, True
        if conn is not None:
            conn.abort()
        return None, False

    def _give_back(self, conn: _Connection) -> None:
        if conn.usable and self._idle is None and not self._closed:
            self._idle = conn
        else:
            conn.close()

    async def _connect(self) -> _Connection:
        loop = asyncio.get_running_loop()
        limit = self._limit
        _, conn = await loop.create_connection(
            lambda: _Connection(limit), self._host, self._port, ssl=self._ssl,
            server_hostname=self._server_hostname)
        return conn

    def close(self) -> None:
        """Close the idle connection; requests in flight end with their own answer."""
        self._closed = True
        conn, self._idle = self._idle, None
        if conn is not None:
            conn.close()
