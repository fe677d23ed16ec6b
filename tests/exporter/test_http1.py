"""The polls' lean HTTP/1.1 client (exporter/sources/http1.py) against a tiny scripted
asyncio server in the test, and once against the real Jupyter Server.

The scripted server answers each request, counted across connections, with a list of steps:
bytes to write, `CLOSE` (drop the connection), `HANG` (never answer) or a float (sleep).
It records every request head and how many connections it accepted, so a test can tell a
reused connection from a new one and a retry from a single attempt.
"""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import ssl
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from exporter import naming
from exporter.config import Secret, Target
from exporter.sources.client import JupyterClient, UpstreamError, classify
from exporter.sources.http1 import BodyTooLarge, Http1Client, HttpProtocolError
from exporter.sources.poll import PollMemo, poll
from tests.exporter.servers import JupyterServer

TOKEN = "s3cr3t-test-token"
CLOSE, HANG = "close", "hang"
Step = bytes | str | float


def ok(body: bytes, *headers: str) -> bytes:
    extra = "".join(f"{h}\r\n" for h in headers)
    return (f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n{extra}\r\n").encode() + body


def chunked(*parts: bytes, trailer: bytes = b"") -> bytes:
    out = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    for part in parts:
        out += f"{len(part):x};ext=1\r\n".encode() + part + b"\r\n"
    return out + b"0\r\n" + trailer + b"\r\n"


@dataclass
class Script:
    """Answers by request number (across connections); the last entry repeats."""

    answers: Sequence[Sequence[Step]]
    heads: list[bytes] = field(default_factory=list)
    connections: int = 0
    port: int = 0
    _server: asyncio.Server | None = None

    async def start(self, tls: ssl.SSLContext | None = None) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=tls)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                self.heads.append(head)
                steps = self.answers[min(len(self.heads), len(self.answers)) - 1]
                for step in steps:
                    if step == CLOSE:
                        return
                    if step == HANG:
                        await asyncio.sleep(3600)
                    elif isinstance(step, float):
                        await asyncio.sleep(step)
                    else:
                        assert isinstance(step, bytes)
                        writer.write(step)
                        await writer.drain()
        finally:
            writer.close()


async def _gets(script: Script, count: int, limit: int = 1 << 20, timeout: float = 2.0,
                pause: float = 0.0) -> list[tuple[int, bytes] | BaseException]:
    """`count` sequential GETs on one Http1Client; each result or the exception raised."""
    await script.start()
    client = Http1Client(f"http://127.0.0.1:{script.port}/base/",
                         {"Authorization": f"token {TOKEN}"}, limit)
    out: list[tuple[int, bytes] | BaseException] = []
    try:
        for _ in range(count):
            try:
                out.append(await client.get("api/status?no_track_activity=1", timeout))
            except (OSError, TimeoutError, BodyTooLarge, HttpProtocolError) as exc:
                out.append(exc)
            await asyncio.sleep(pause)
    finally:
        client.close()
        await script.stop()
    return out


BODY = b'{"started": "2026-11-25T20:00:00Z"}'


@pytest.mark.timeout(30)
@pytest.mark.parametrize(("answers", "expected", "connections"), [
    pytest.param([[ok(BODY)]], [(200, BODY)] * 3, 1,
                 id="a Content-Length body, and the connection is reused for every request"),
    pytest.param([[chunked(b'{"a": ', b"1}")]], [(200, b'{"a": 1}')] * 2, 1,
                 id="a chunked body with extensions is joined and the connection reused"),
    pytest.param([[chunked(b"[1]", trailer=b"X-Trailer: yes\r\n")]], [(200, b"[1]")] * 2, 1,
                 id="a chunked body with a trailer is read to its end"),
    pytest.param([[ok(BODY)[:20], 0.05, ok(BODY)[20:]]], [(200, BODY)] * 2, 1,
                 id="an answer split across packets is put together"),
    pytest.param([[b"HTTP/1.1 100 Continue\r\n\r\n" + ok(BODY)]], [(200, BODY)], 1,
                 id="an interim 100 answer is skipped"),
    pytest.param([[b"HTTP/1.1 204 No Content\r\n\r\n"]], [(204, b"")] * 2, 1,
                 id="a 204 has no body and keeps the connection"),
    pytest.param([[b"HTTP/1.0 200 OK\r\n\r\n[1, 2]", CLOSE]], [(200, b"[1, 2]")] * 2, 2,
                 id="a body that ends with the connection is read to the end, not reused"),
    pytest.param([[ok(BODY, "Connection: close"), CLOSE]], [(200, BODY)] * 2, 2,
                 id="Connection close is honoured: each request gets a new connection"),
    pytest.param([[ok(BODY), CLOSE]], [(200, BODY)] * 2, 2,
                 id="a server that closes an idle connection costs a new connection only"),
    pytest.param([[ok(BODY)], [CLOSE], [ok(BODY)]], [(200, BODY)] * 2, 2,
                 id="a reused connection closed before any answer is retried once, fresh"),
    pytest.param([[CLOSE]], [ConnectionResetError], 1,
                 id="a fresh connection closed before any answer is an error, not retried"),
    pytest.param([[b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"half", CLOSE]],
                 [ConnectionResetError], 1,
                 id="a body cut off mid-way is a connection error, never retried"),
    pytest.param([[b"SSH-2.0-OpenSSH_9.6\r\n\r\n"]], [HttpProtocolError], 1,
                 id="bytes that are not HTTP are a protocol error"),
    pytest.param([[b"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n"]], [BodyTooLarge], 1,
                 id="a Content-Length past the limit fails before the body is read"),
    pytest.param([[chunked(b"x" * 600, b"y" * 600)]], [BodyTooLarge], 1,
                 id="a chunked body growing past the limit fails"),
    pytest.param([[b"HTTP/1.0 200 OK\r\n\r\n" + b"z" * 1500]], [BodyTooLarge], 1,
                 id="a body until close growing past the limit fails"),
    pytest.param([[HANG]], [TimeoutError], 1,
                 id="a server that never answers times out"),
])
def test_scripted_answers(answers: list, expected: list, connections: int) -> None:
    script = Script(answers)
    got = asyncio.run(_gets(script, len(expected), limit=1024, timeout=0.5, pause=0.02))
    for result, want in zip(got, expected, strict=True):
        if isinstance(want, type):
            assert isinstance(result, want), result
        else:
            assert result == want
    assert script.connections == connections


@pytest.mark.timeout(30)
def test_requests_carry_the_token_only_in_the_authorization_header() -> None:
    script = Script([[ok(BODY)]])
    asyncio.run(_gets(script, 1))
    (head,) = script.heads
    request_line, *headers = head.decode().split("\r\n")
    assert request_line == "GET /base/api/status?no_track_activity=1 HTTP/1.1"
    assert f"Authorization: token {TOKEN}" in headers
    assert f"Host: 127.0.0.1:{script.port}" in headers
    assert TOKEN not in request_line
    client = Http1Client("http://127.0.0.1:1/", {"Authorization": f"token {TOKEN}"}, 10)
    assert TOKEN not in repr(client)


async def _fetch_error(answers: list, timeout: float = 1.0) -> UpstreamError | BaseException:
    script = Script(answers)
    await script.start()
    target = Target("t", f"http://127.0.0.1:{script.port}/", Secret(TOKEN))
    try:
        async with JupyterClient(target, timeout) as client:
            await client.fetch("api/kernels")
    except Exception as exc:
        return exc
    finally:
        await script.stop()
    raise AssertionError("no error")


def _status(code: int) -> bytes:
    return f"HTTP/1.1 {code} X\r\nContent-Length: 2\r\n\r\n{{}}".encode()


@pytest.mark.timeout(30)
@pytest.mark.parametrize(("answers", "reason"), [
    pytest.param([[_status(401)]], naming.REASON_AUTH, id="401 is an auth error"),
    pytest.param([[_status(403)]], naming.REASON_AUTH, id="403 (wrong token) is an auth error"),
    pytest.param([[_status(404)]], naming.REASON_HTTP_4XX, id="404 is an http_4xx error"),
    pytest.param([[_status(302)]], naming.REASON_HTTP_4XX,
                 id="a redirect is not followed and counts as http_4xx"),
    pytest.param([[_status(502)]], naming.REASON_HTTP_5XX, id="502 is an http_5xx error"),
    pytest.param([[b"<html>oops</html>\r\n\r\n"]], naming.REASON_BAD_PAYLOAD,
                 id="an answer that is not HTTP is a bad payload"),
    pytest.param([[b"HTTP/1.1 200 OK\r\nContent-Length: 99999999\r\n\r\n"]],
                 naming.REASON_BAD_PAYLOAD, id="a body past the 8 MiB cap is a bad payload"),
    pytest.param([[b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n[1", CLOSE]],
                 naming.REASON_REFUSED, id="a body cut off by a dropped connection is refused"),
    pytest.param([[HANG]], naming.REASON_TIMEOUT, id="a hung server is a timeout"),
])
def test_fetch_maps_failures_to_poll_error_reasons(answers: list, reason: str) -> None:
    exc = asyncio.run(_fetch_error(answers, timeout=0.5))
    assert classify(exc) == reason, exc
    assert TOKEN not in str(exc)


@pytest.mark.timeout(30)
def test_a_refused_connection_is_refused_and_the_timeout_is_kept() -> None:
    async def body() -> tuple[BaseException, float]:
        script = Script([[ok(BODY)]])
        await script.start()
        port = script.port
        await script.stop()  # nothing listens there now
        target = Target("t", f"http://127.0.0.1:{port}/", Secret(TOKEN))
        started = time.monotonic()
        try:
            async with JupyterClient(target, 0.5) as client:
                await client.fetch("api/status")
        except Exception as exc:
            return exc, time.monotonic() - started
        raise AssertionError("no error")

    exc, seconds = asyncio.run(body())
    assert classify(exc) == naming.REASON_REFUSED and seconds < 5


def _tls_pair(tmp: Path) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """(server context, client context trusting it) for a self-signed 127.0.0.1 cert."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp / "cert.pem", tmp / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert_path, key_path)
    client = ssl.create_default_context(cafile=str(cert_path))
    return server, client


@pytest.mark.timeout(30)
@pytest.mark.parametrize("trusted", [
    pytest.param(True, id="over TLS with a trusted certificate, the connection is reused"),
    pytest.param(False, id="an untrusted certificate fails verification as refused"),
])
def test_tls(trusted: bool, tmp_path: Path) -> None:
    server_ctx, client_ctx = _tls_pair(tmp_path)

    async def body() -> tuple[list[bytes] | BaseException, int]:
        script = Script([[ok(BODY)]])
        await script.start(tls=server_ctx)
        target = Target("t", f"https://127.0.0.1:{script.port}/", Secret(TOKEN))
        try:
            async with JupyterClient(target, 2.0,
                                     ssl_context=client_ctx if trusted else None) as client:
                return [await client.fetch("api/status") for _ in range(3)], script.connections
        except Exception as exc:
            return exc, script.connections
        finally:
            await script.stop()

    got, connections = asyncio.run(body())
    if trusted:
        assert got == [BODY] * 3 and connections == 1
    else:
        assert isinstance(got, ssl.SSLCertVerificationError), got
        assert classify(got) == naming.REASON_REFUSED


@pytest.mark.real
@pytest.mark.timeout(60)
def test_polls_reuse_one_connection_to_a_real_jupyter_server(jupyter: JupyterServer) -> None:
    """Tornado keeps the connection alive between polls; the poll reads the same kernels
    the server lists, and an unchanged answer is served from the memo by identity."""
    target = Target("dev", jupyter.url, Secret(jupyter.token))

    async def body() -> None:
        memo = PollMemo()
        async with JupyterClient(target, 10.0) as client:
            first = await poll(client, read_metrics=True, memo=memo)
            assert first.view is not None, first.detail
            assert first.view.request_counts is not None, first.metrics_error
            conn = client.http1._idle
            assert conn is not None and conn.usable
            second = await poll(client, read_metrics=True, previous=first.view, heavy=False,
                                memo=memo)
            assert second.view is not None, second.detail
            assert client.http1._idle is conn, "the keep-alive connection was not reused"
            assert "python3" in second.view.kernelspecs
            assert second.view.version == first.view.version
            assert second.view.sessions is first.view.sessions  # unchanged bytes: same value
            listed = await asyncio.to_thread(jupyter.kernels)
            assert {k.id for k in second.view.kernels} == {k["id"] for k in listed}
            status, _ = await client.http1.get("api/nonexistent?no_track_activity=1", 10.0)
            assert status == 404 and client.http1._idle is conn
            wrong = JupyterClient(Target("dev", jupyter.url, Secret("wrong")), 10.0)
            try:
                with pytest.raises(UpstreamError) as info:
                    await wrong.fetch("api/kernels")
            finally:
                await wrong.close()
            assert info.value.reason == naming.REASON_AUTH

    asyncio.run(body())
