"""Discovery from the runtime dir, saves from the real server's request metrics, and poll
faults a real server cannot be made to produce on demand (served by a small fake)."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import pytest
from aiohttp import web

from exporter import discovery, naming
from exporter.config import Secret, Target
from exporter.engine import TargetWorker
from exporter.sources.client import JupyterClient
from exporter.sources.poll import poll
from tests.exporter.inprocess import with_worker
from tests.exporter.metrics import value
from tests.exporter.servers import JupyterServer, start_exporter, wait_until


@pytest.mark.parametrize(("info", "found"), [
    pytest.param({"url": "http://127.0.0.1:8888/", "pid": os.getpid(), "token": "t"}, True,
                 id="a live local server"),
    pytest.param({"url": "http://127.0.0.1:8888/", "pid": 2**22 + 12345}, False,
                 id="a server whose process is gone"),
    pytest.param({"url": "http://10.1.2.3:8888/", "pid": os.getpid()}, False,
                 id="a non-loopback server never gets our token"),
])
def test_runtime_files(info: dict, found: bool, tmp_path: Path) -> None:
    (tmp_path / "jpserver-1.json").write_text(json.dumps(info))
    (tmp_path / "jpserver-2.json").write_text("{half written")
    assert bool(discovery.discover(tmp_path)) is found


@pytest.mark.real
@pytest.mark.timeout(60)
def test_no_target_flag_discovers_the_local_server(jupyter: JupyterServer, tmp_path: Path
                                                   ) -> None:
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(jupyter.runtime_dir)}
    env.pop("JUPYTER_TOKEN", None)
    exp = start_exporter(["--poll-interval=1s", "--probe-interval=0"], tmp_path / "exp.log",
                         env=env)
    try:
        name = f"127.0.0.1:{jupyter.port}"
        wait_until(lambda: value(exp.metrics_text(), naming.UP.name, server=name) == 1, 20,
                   "the discovered server to be up")
    finally:
        exp.stop()
    assert jupyter.token not in exp.log_text()


@pytest.mark.real
@pytest.mark.timeout(90)
def test_user_saves_are_counted_and_probe_saves_are_not(jupyter: JupyterServer) -> None:
    async def polled_ok(worker: TargetWorker) -> None:
        for _ in range(5):  # a loaded 2-core machine may fail one poll; say why if all do
            result = await worker.poll_once()
            if result.view is not None and result.view.request_counts is not None:
                return
            await asyncio.sleep(1)
        raise AssertionError(f"no good poll: {result.error} {result.metrics_error} "
                             f"{result.detail}")

    async def body(worker: TargetWorker) -> None:
        await polled_ok(worker)
        await worker.run_save_probe()
        ok = await asyncio.to_thread(jupyter.request, "PUT", "api/contents/user.txt",
                                     {"type": "file", "format": "text", "content": "hi"})
        bad = await asyncio.to_thread(jupyter.request, "PUT", "api/contents/nodir/x.txt",
                                      {"type": "file", "format": "text", "content": "hi"})
        assert (ok[0], bad[0]) == (201, 500)
        await worker.run_save_probe()
        await polled_ok(worker)
        acc = worker.state.accounting
        assert dict(acc.saves) == {naming.SAVE_SUCCESS: 1, naming.SAVE_FAILURE: 1}
        assert worker.state.probes.saves == {naming.SAVE_SUCCESS: 2}

    asyncio.run(with_worker(jupyter, body))
    assert jupyter.request("GET", "api/contents/jupyter-slo-probe")[0] == 404
    jupyter.request("DELETE", "api/contents/user.txt")


async def _fake_poll(handler: web.RequestHandler, timeout: float = 1.0) -> str | None:
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        target = Target("fake", f"http://127.0.0.1:{port}/", Secret("tok"))
        async with JupyterClient(target, timeout) as client:
            return (await poll(client, read_metrics=True)).error
    finally:
        await runner.cleanup()


async def _slow(request: web.Request) -> web.Response:
    await asyncio.sleep(3)
    return web.json_response({})


async def _error(request: web.Request) -> web.Response:
    return web.Response(status=503)


async def _garbage(request: web.Request) -> web.Response:
    if request.path == "/api":
        return web.json_response({"version": "2.21.1"})
    return web.Response(text="<html>not json</html>")


async def _wrong_shape(request: web.Request) -> web.Response:
    if request.path == "/api":
        return web.json_response({"version": "2.21.1"})
    return web.json_response({"kernels": "lots"})


@pytest.mark.timeout(30)
@pytest.mark.parametrize(("handler", "reason"), [
    pytest.param(_slow, naming.REASON_TIMEOUT, id="a server slower than the timeout"),
    pytest.param(_error, naming.REASON_HTTP_5XX, id="a server answering 503"),
    pytest.param(_garbage, naming.REASON_BAD_PAYLOAD, id="a server answering HTML"),
    pytest.param(_wrong_shape, naming.REASON_BAD_PAYLOAD, id="JSON of the wrong shape"),
])
def test_poll_faults_are_reasons_not_exceptions(handler, reason: str) -> None:
    assert asyncio.run(_fake_poll(handler)) == reason
