"""Notebook size and secret findings against a real Jupyter Server and the exporter process.

The server logs every request at debug level with its query string, which is the proof of
what the exporter read: `content=0` look-ups only, unless `notebook_secrets` is on, and
never a path outside the root, whatever forged events say. Each test reads only the log
lines written after it began, so the tests can share one server.
"""

from __future__ import annotations

import re
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from exporter import naming
from tests.exporter.metrics import value
from tests.exporter.servers import (
    ExporterProcess,
    JupyterServer,
    make_server,
    start_exporter,
    wait_until,
)

pytestmark = pytest.mark.real

CODE_KEY = "AKIAIOSFODNN7EXAMPLE"  # AWS's documented example key id; detect-secrets flags it
OUTPUT_KEY = "AKIAZ7Q3RT5XW2MNB6LP"  # same shape, a different value
# One line per request: `200 GET /api/contents/a.ipynb?content=0&... (user@127.0.0.1) 4ms`
_REQUEST = re.compile(r"\b\d{3} GET (/api/contents/\S*) \(\S*@")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterServer]:
    jupyter = make_server(tmp_path_factory.mktemp("hygiene"), ["--ServerApp.log_level=DEBUG"])
    jupyter.start()
    yield jupyter
    jupyter.stop()


def _exporter(server: JupyterServer, base: Path, *flags: str) -> ExporterProcess:
    token = base / "token"
    token.write_text(server.token)
    exp = start_exporter([f"--jupyter-url=dev={server.url}", f"--jupyter-token-file={token}",
                          "--poll-interval=1s", "--probe-interval=0", "--log.level=debug",
                          *flags], base / "exporter.log")
    wait_until(lambda: value(exp.metrics_text(), naming.EVENT_STREAM_UP.name) == 1, 30,
               "the exporter's event stream")
    return exp


@pytest.fixture()
def scanning(server: JupyterServer, tmp_path: Path) -> Iterator[ExporterProcess]:
    """One exporter per test, so no other exporter's requests reach the server log."""
    exp = _exporter(server, tmp_path, "--collector.notebook-secrets")
    yield exp
    exp.stop()


@pytest.fixture()
def default(server: JupyterServer, tmp_path: Path) -> Iterator[ExporterProcess]:
    exp = _exporter(server, tmp_path)
    yield exp
    exp.stop()


def _notebook(source: str, output: str = "") -> dict[str, Any]:
    outputs = [{"output_type": "stream", "name": "stdout", "text": output}] if output else []
    return {"cells": [{"cell_type": "code", "source": source, "outputs": outputs,
                       "metadata": {}, "execution_count": 1 if output else None}],
            "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def _save(server: JupyterServer, path: str, notebook: dict[str, Any]) -> int:
    """PUT as JupyterLab saves; the size the server reports for the saved file."""
    status, model = server.request("PUT", f"api/contents/{path}",
                                   {"type": "notebook", "format": "json", "content": notebook})
    assert status in (200, 201), model
    return int(model["size"])


def _metric(exp: ExporterProcess, name: str, **labels: str) -> float:
    return value(exp.metrics_text(), name, server="dev", **labels) or 0.0


def _contents_gets(server: JupyterServer, offset: int) -> list[str]:
    return _REQUEST.findall(server.log_text()[offset:])


@pytest.mark.timeout(60)
def test_a_key_in_a_code_cell_and_in_an_output_is_counted_and_shown_nowhere(
        server: JupyterServer, scanning: ExporterProcess) -> None:
    findings = naming.SECRET_FINDINGS.name
    before = _metric(scanning, findings, type="aws_access_key")
    in_code = _save(server, "plan-in-code.ipynb", _notebook(f'key = "{CODE_KEY}"'))
    wait_until(lambda: _metric(scanning, findings, type="aws_access_key") == before + 1, 30,
               "the key in the code cell")
    in_output = _save(server, "plan-in-output.ipynb", _notebook("print(k)", OUTPUT_KEY))
    wait_until(lambda: _metric(scanning, findings, type="aws_access_key") == before + 2, 30,
               "the key in the output")
    text = scanning.metrics_text()
    assert value(text, f"{naming.NOTEBOOK_SIZE.name}_sum", server="dev") >= in_code + in_output
    for shown in (text, scanning.log_text(), _page(scanning)):
        for secret in (CODE_KEY, OUTPUT_KEY, "plan-in-code", "plan-in-output"):
            assert secret not in shown


def _page(exp: ExporterProcess) -> str:
    with urllib.request.urlopen(exp.url, timeout=10) as resp:
        return resp.read().decode()


@pytest.mark.timeout(60)
def test_with_the_secrets_collector_off_no_content_is_ever_read(
        server: JupyterServer, default: ExporterProcess) -> None:
    offset = len(server.log_text())
    count = f"{naming.NOTEBOOK_SIZE.name}_count"
    before = _metric(default, count)
    size = _save(server, "off-plan.ipynb", _notebook(f'key = "{CODE_KEY}"', OUTPUT_KEY))
    wait_until(lambda: _metric(default, count) == before + 1, 30, "the size observation")
    assert _metric(default, f"{naming.NOTEBOOK_SIZE.name}_sum") == size
    gets = [g for g in _contents_gets(server, offset) if "off-plan" in g]
    assert gets and all("content=0" in g and "no_track_activity=1" in g for g in gets), gets
    assert naming.SECRET_FINDINGS.name not in default.metrics_text()


FORGED = ["../outside.ipynb", "/etc/passwd.ipynb", "a/../../outside.ipynb", "~/outside.ipynb",
          "C:/outside.ipynb", "..%2Foutside.ipynb/..", "sub\\..\\..\\outside.ipynb"]


@pytest.mark.timeout(60)
def test_forged_save_events_never_fetch_outside_the_root_or_a_missing_notebook(
        server: JupyterServer, scanning: ExporterProcess) -> None:
    (server.root.parent / "outside.ipynb").write_text("{}")  # a target, were `..` followed
    offset = len(server.log_text())
    events, lookups = naming.EVENTS.name, naming.NOTEBOOK_LOOKUPS.name
    ignored = _metric(scanning, events, outcome=naming.EVENT_IGNORED)
    missing = _metric(scanning, lookups, outcome=naming.LOOKUP_MISSING)
    for path in [*FORGED, "ghost.ipynb"]:
        status, body = server.request("POST", "api/events", {
            "schema_id": naming.CONTENTS_SCHEMA, "version": "1",
            "data": {"action": "save", "path": path}})
        assert status == 204, body
    wait_until(lambda: _metric(scanning, lookups, outcome=naming.LOOKUP_MISSING)
               == missing + 1, 30, "the look-up of the missing notebook")
    wait_until(lambda: _metric(scanning, events, outcome=naming.EVENT_IGNORED)
               >= ignored + len(FORGED), 10, "every forged path ignored")
    gets = _contents_gets(server, offset)
    assert all("ghost.ipynb?content=0" in g for g in gets), gets  # nothing else, no content
    assert len(gets) == 1
