"""Token files follow rotation (exporter/sources/tokens.py and its callers).

Unit level: a `TokenFile` on a fake clock against files the test rewrites; a `JupyterClient`
against a small aiohttp server whose accepted token the test changes; a Hub fleet against
the simulator (bench/fleetsim.py). Once against the real Jupyter Server: the exporter
process starts with a wrong token in a Kubernetes-style mounted Secret, the Secret is
rotated by the atomic symlink swap the kubelet does, and the target comes back up.

Every test checks that no token and no token path reaches a log record or a repr.
"""

from __future__ import annotations

import asyncio
import io
import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from exporter import logs, naming
from exporter.config import Secret, Target
from exporter.sources import tokens
from exporter.sources.client import JupyterClient, UpstreamError
from tests.exporter.metrics import value
from tests.exporter.servers import JupyterServer, start_exporter, wait_until

OLD, NEW = "old-token-0123456789", "new-token-9876543210"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture()
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Paths read by `TokenFile.reread`, in order."""
    seen: list[str] = []
    real = tokens.read_text

    def counting(path: str) -> str:
        seen.append(path)
        return real(path)

    monkeypatch.setattr(tokens, "read_text", counting)
    return seen


def _no_secret_in(text: str, *secrets: str) -> None:
    for secret in secrets:
        assert secret not in text, f"{secret!r} leaked"


# --- TokenFile ------------------------------------------------------------------------------
def _replace(path: Path, content: bytes) -> None:
    """Write a new file and rename it over the old one (readers never see half a token)."""
    fresh = path.with_name(path.name + ".new")
    fresh.write_bytes(content)
    os.replace(fresh, path)


def _rotate(path: Path) -> None:
    _replace(path, NEW.encode() + b"\n")


def _keep(path: Path) -> None:
    pass


def _delete(path: Path) -> None:
    path.unlink()


def _directory(path: Path) -> None:
    path.unlink()
    path.mkdir()


def _empty(path: Path) -> None:
    _replace(path, b"  \n")


def _two_lines(path: Path) -> None:
    _replace(path, NEW.encode() + b"\nX-Injected: 1\n")


def _not_utf8(path: Path) -> None:
    _replace(path, NEW.encode() + b"\xff\xfe")


@pytest.mark.parametrize(("change", "earlier", "wait", "switched", "reads_file", "warned"), [
    pytest.param(_rotate, False, 0.0, True, True, False,
                 id="a rotated file is picked up at the first refusal"),
    pytest.param(_keep, False, 0.0, False, True, False,
                 id="an unchanged file is read but nothing switches"),
    pytest.param(_rotate, True, 9.0, False, False, False,
                 id="a refusal within the minimum interval does not read the file"),
    pytest.param(_rotate, True, 10.0, True, True, False,
                 id="a refusal after the minimum interval reads the file again"),
    pytest.param(_delete, False, 0.0, False, True, True,
                 id="a deleted file keeps the old token with a warning"),
    pytest.param(_directory, False, 0.0, False, True, True,
                 id="a directory in the file's place keeps the old token with a warning"),
    pytest.param(_empty, False, 0.0, False, True, True,
                 id="an empty file keeps the old token with a warning"),
    pytest.param(_two_lines, False, 0.0, False, True, True,
                 id="a file of two lines (a header injection) keeps the old token"),
    pytest.param(_not_utf8, False, 0.0, False, True, True,
                 id="a file that is not UTF-8 keeps the old token"),
])
def test_reread(change: Callable[[Path], None], earlier: bool, wait: float, switched: bool,
                reads_file: bool, warned: bool, tmp_path: Path, reads: list[str],
                caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="exporter.tokens")
    path = tmp_path / "token"
    path.write_text(OLD)
    clock = Clock()
    token_file = tokens.TokenFile(Secret(OLD, path=str(path)), clock=clock)

    async def main() -> bool:
        if earlier:
            assert await token_file.reread("dev") is False
            reads.clear()
        change(path)
        clock.now += wait
        return await token_file.reread("dev")

    assert asyncio.run(main()) is switched
    assert token_file.secret.value == (NEW if switched else OLD)
    assert token_file.generation == (1 if switched else 0)
    assert token_file.secret.path == str(path)
    assert reads == ([str(path)] if reads_file else [])
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert bool(warnings) is warned
    infos = [r for r in caplog.records if r.levelno == logging.INFO]
    assert len(infos) == (1 if switched else 0)
    for record in caplog.records:
        assert record.__dict__["target"] == "dev"
    _no_secret_in(caplog.text + repr(token_file) + str(token_file.secret)
                  + repr(token_file.secret), OLD, NEW, str(path))


def test_a_lasting_failure_warns_once_and_a_recovery_switches(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A file missing for a minute would otherwise warn six times; the same failure again
    goes to debug, and the rotated token is taken once the file is back."""
    caplog.set_level(logging.DEBUG, logger="exporter.tokens")
    path = tmp_path / "token"
    clock = Clock()
    token_file = tokens.TokenFile(Secret(OLD, path=str(path)), clock=clock)

    async def main() -> list[bool]:
        results = []
        for _ in range(3):
            results.append(await token_file.reread("dev"))
            clock.now += tokens.MIN_INTERVAL
        _rotate(path)
        results.append(await token_file.reread("dev"))
        return results

    assert asyncio.run(main()) == [False, False, False, True]
    levels = [r.levelname for r in caplog.records]
    assert levels == ["WARNING", "DEBUG", "DEBUG", "INFO"]
    _no_secret_in(caplog.text, OLD, NEW, str(path))


def test_a_token_from_the_environment_is_not_watched() -> None:
    assert tokens.watch(Secret(OLD)) is None
    assert tokens.watch(None) is None
    with pytest.raises(ValueError):
        tokens.TokenFile(Secret(OLD))


def test_one_token_file_per_path(tmp_path: Path) -> None:
    first = tokens.watch(Secret(OLD, path=str(tmp_path / "a")))
    assert first is not None
    assert tokens.watch(Secret(OLD, path=str(tmp_path / "a"))) is first
    assert tokens.watch(Secret(OLD, path=str(tmp_path / "b"))) is not first


def test_a_rotated_token_is_masked_in_the_logs_from_then_on() -> None:
    """A new token was not known when the log filters were built at startup."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    stream = io.StringIO()
    try:
        logs.setup("text", [OLD], stream=stream)
        logs.add_secret(NEW)
        logging.getLogger("exporter.test").warning("oops", extra={"error": f"x {NEW} {OLD}"})
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
    _no_secret_in(stream.getvalue(), OLD, NEW)
    assert stream.getvalue().count(logs.MASK) == 2


# --- JupyterClient ----------------------------------------------------------------------------
class FakeServer:
    """Answers `{}` to requests carrying `token <accepted>`, 403 to others; records the
    Authorization header of every request and how many connections were made."""

    def __init__(self, accepted: str) -> None:
        self.accepted = accepted
        self.seen: list[str] = []
        self.connections = 0
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def _handle(self, request: web.Request) -> web.Response:
        auth = request.headers.get("Authorization", "")
        self.seen.append(auth)
        if auth != f"token {self.accepted}":
            return web.Response(status=403)
        return web.json_response({})

    async def __aenter__(self) -> FakeServer:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}/"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._runner is not None
        await self._runner.cleanup()


async def _fetch(client: JupyterClient) -> None:
    await client.fetch("api/status")


async def _request(client: JupyterClient) -> None:
    await client.get_json("api/status")


@pytest.mark.timeout(30)
@pytest.mark.parametrize(("call", "shared"), [
    pytest.param(_fetch, False, id="a poll GET over the lean HTTP/1.1 client"),
    pytest.param(_request, False, id="an aiohttp request on the client's own session"),
    pytest.param(_request, True, id="an aiohttp request on a shared session (Hub mode)"),
])
def test_after_a_refusal_the_next_request_carries_the_rotated_token(
        call: Callable[[JupyterClient], object], shared: bool, tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    path = tmp_path / "token"
    path.write_text(OLD)
    secret = Secret(OLD, path=str(path))

    async def main() -> None:
        async with FakeServer(accepted=NEW) as server:
            session = aiohttp.ClientSession() if shared else None
            target = Target("dev", server.url, secret)
            try:
                async with JupyterClient(target, 5.0, session) as client, \
                        JupyterClient(target, 5.0, session) as other:
                    with pytest.raises(UpstreamError) as info:
                        await call(client)  # type: ignore[misc]
                    assert info.value.reason == naming.REASON_AUTH
                    _rotate(path)
                    with pytest.raises(UpstreamError):  # read before the rotation: unchanged
                        await call(client)  # type: ignore[misc]
                    assert server.seen == [f"token {OLD}"] * 2
                    token_file = tokens.watch(secret)
                    assert token_file is not None
                    token_file.min_interval = 0.0  # the interval has its own test above
                    with pytest.raises(UpstreamError):  # this refusal re-reads the file
                        await call(client)  # type: ignore[misc]
                    await call(client)  # type: ignore[misc]
                    assert client.auth_headers["Authorization"] == f"token {NEW}"
                    await call(other)  # type: ignore[misc]  # switched without a refusal
                    assert server.seen[3:] == [f"token {NEW}"] * 2
            finally:
                if session is not None:
                    await session.close()

    asyncio.run(main())
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.INFO
            and r.name == "exporter.tokens"] == ["token file re-read; switching to the new token"]
    _no_secret_in(caplog.text, OLD, NEW, str(path))


@pytest.mark.timeout(30)
def test_the_poll_connection_is_kept_across_a_switch(tmp_path: Path) -> None:
    path = tmp_path / "token"
    path.write_text(OLD)
    secret = Secret(OLD, path=str(path))

    async def main() -> None:
        async with FakeServer(accepted=OLD) as server, \
                JupyterClient(Target("dev", server.url, secret), 5.0) as client:
            await client.fetch("api/status")
            conn = client.http1._idle
            server.accepted = NEW
            _rotate(path)
            with pytest.raises(UpstreamError):
                await client.fetch("api/status")
            await client.fetch("api/status")
            assert client.http1._idle is conn, "a switch must not reconnect"
            assert NEW not in repr(client.http1)

    asyncio.run(main())


@pytest.mark.timeout(30)
def test_a_token_from_the_environment_is_never_reread(reads: list[str]) -> None:
    async def main() -> None:
        async with FakeServer(accepted=NEW) as server:
            async with JupyterClient(Target("dev", server.url, Secret(OLD)), 5.0) as client:
                for _ in range(2):
                    with pytest.raises(UpstreamError):
                        await client.fetch("api/status")
            assert server.seen == [f"token {OLD}"] * 2

    asyncio.run(main())
    assert reads == []


# --- Hub mode -------------------------------------------------------------------------------
@pytest.mark.timeout(60)
def test_a_rotated_hub_token_reaches_the_hub_listing_and_every_server(tmp_path: Path) -> None:
    """The Hub token serves the Hub API and every user server (the simulator checks it on
    both); the proxy token has a file of its own."""
    from bench.fleetsim import FleetSim
    from tests.exporter.fleet import hub_config, scrape, with_engine

    async def main() -> None:
        sim = FleetSim(5, 1, seed=4, named_every=0)
        await sim.start()
        hub_file, proxy_file = tmp_path / "hub-token", tmp_path / "proxy-token"
        hub_file.write_text(sim.hub_token)
        proxy_file.write_text(sim.proxy_token)
        config = hub_config(sim)
        assert config.hub is not None
        config = replace(config, hub=replace(
            config.hub, token=Secret(sim.hub_token, path=str(hub_file)),
            proxy_token=Secret(sim.proxy_token, path=str(proxy_file))))

        def ups(engine: object) -> tuple[list[float], list[float]]:
            scraped = scrape(engine)  # type: ignore[arg-type]
            return ([v for n, _, v in scraped if n == naming.HUB_UP.name],
                    sorted({v for n, _, v in scraped if n == naming.UP.name}))

        async def body(engine) -> None:  # type: ignore[no-untyped-def]
            assert len(engine.workers) == 5 and ups(engine) == ([1.0], [1.0])
            sim.hub_token, sim.proxy_token = "rotated-hub-token", "rotated-proxy-token"
            _replace(hub_file, b"rotated-hub-token\n")
            _replace(proxy_file, b"rotated-proxy-token\n")
            await engine.cycle(refresh=True)  # both refused, both files re-read
            assert ups(engine) == ([0.0], [1.0]), "servers follow the Hub token file"
            await engine.cycle(refresh=True)
            assert ups(engine) == ([1.0], [1.0]), "every server polled with the new token"
            assert len(engine.workers) == 5, "a rotation is not a fleet change"

        try:
            await with_engine(config, body)
        finally:
            await sim.stop()

    asyncio.run(main())


# --- against the real Jupyter Server ----------------------------------------------------------
class MountedSecret:
    """A Kubernetes Secret volume: `token -> ..data/token`, `..data -> ..<version>/`. The
    kubelet rotates it by writing a new version folder and renaming a new `..data` link
    over the old one, so a reader sees the old or the new token, never half of one."""

    def __init__(self, root: Path, token: str) -> None:
        self.root = root
        self.version = 0
        root.mkdir()
        self._write(token)
        (root / "token").symlink_to("..data/token")

    @property
    def path(self) -> Path:
        return self.root / "token"

    def _write(self, token: str) -> None:
        self.version += 1
        folder = self.root / f"..v{self.version}"
        folder.mkdir()
        (folder / "token").write_text(token)
        link = self.root / "..data_tmp"
        link.symlink_to(folder.name)
        os.replace(link, self.root / "..data")

    def rotate(self, token: str) -> None:
        self._write(token)


@pytest.fixture()
def mounted(jupyter: JupyterServer, tmp_path: Path) -> Iterator[MountedSecret]:
    yield MountedSecret(tmp_path / "secret", "wrong" + jupyter.token[5:][::-1])


@pytest.mark.real
@pytest.mark.timeout(120)
def test_a_rotated_secret_brings_the_target_back_without_a_restart(
        jupyter: JupyterServer, mounted: MountedSecret, tmp_path: Path) -> None:
    poll = 2.0
    wrong = mounted.path.read_text()
    exp = start_exporter([f"--jupyter-url=dev={jupyter.url}",
                          f"--jupyter-token-file={mounted.path}", f"--poll-interval={poll}s",
                          "--probe-interval=0"], tmp_path / "exp.log")
    try:
        wait_until(lambda: value(exp.metrics_text(), naming.POLL_ERRORS.name, server="dev",
                                 reason=naming.REASON_AUTH), 20, "an auth poll error")
        assert value(exp.metrics_text(), naming.UP.name, server="dev") == 0
        mounted.rotate(jupyter.token)
        # The first refusal read the file at once; the next read waits out the interval.
        wait_until(lambda: value(exp.metrics_text(), naming.UP.name, server="dev") == 1,
                   tokens.MIN_INTERVAL + 3 * poll + 5, "jupyter_up 1 after the rotation")
        assert exp.proc.poll() is None, "no restart"
    finally:
        exp.stop()
    log_text = exp.log_text()
    assert log_text.count("token file re-read; switching to the new token") == 1
    assert "target=dev" in log_text
    _no_secret_in(log_text, wrong, jupyter.token, str(mounted.root))
