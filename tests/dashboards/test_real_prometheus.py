"""Every panel query runs on a real Prometheus that scraped a real exporter watching a real
Jupyter Server and evaluated the generated SLO rules (issue 6, "Must show").

The setup: Jupyter Server with ipykernel, the exporter (`python -m exporter`, 1s polls, 2s
probes, 1s idle threshold), Prometheus 2.x scraping it every second and evaluating the rules
`jupyter-slo` generates for the test SLOs (two events SLIs, one raw). Traffic: a session, a
notebook save, a request with a wrong token, a kernelspec that crashes at boot. Then each
panel's queries run as Grafana would run them (range or instant, variables filled in). No
query may fail; every panel whose needs this setup meets must return data; the count of panels
with data is reported.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from dashboards import naming
from dashboards.common import Board
from dashboards.panels import NEED_EVENTS_SLI, NEED_FIRING
from exporter import naming as x
from slo import duration
from slo import naming as n
from tests.dashboards.conftest import SPEC_TEXT, panels, substitute
from tests.exporter.servers import (
    ExporterProcess,
    JupyterServer,
    free_port,
    make_server,
    start_exporter,
    wait_until,
)
from tests.slo.promtool import rules_text, with_tile_interval

pytestmark = pytest.mark.real
SLO_UNDER_TEST = "jupyter-kernel-crashes"  # an events SLI with crashes: every SLO panel has data
QUERY_VALUES = {"slo": SLO_UNDER_TEST, "__rate_interval": "30s", "__range": "5m",
                "__interval": "2s"}
# The needs a single Jupyter Server without Hub, GPU, node or per-kernel collectors meets.
MET_ALWAYS = frozenset({NEED_EVENTS_SLI})


@dataclass
class Prometheus:
    port: int
    proc: subprocess.Popen[bytes]
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def api(self, path: str, **params: str) -> dict[str, Any]:
        query = urllib.parse.urlencode(params)
        try:
            with urllib.request.urlopen(f"{self.url}/api/v1/{path}?{query}", timeout=30) as r:
                return json.loads(r.read())
        except urllib.error.HTTPError as exc:  # 400/422: a query Prometheus rejects
            return json.loads(exc.read() or b"{}") | {"status": "error"}

    def instant(self, expr: str) -> list[Any]:
        body = self.api("query", query=expr)
        assert body["status"] == "success", body
        return body["data"]["result"]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


def _start_prometheus(tmp: Path, exporter_port: int) -> Prometheus:
    binary = shutil.which("prometheus")
    assert binary, "prometheus not on PATH: install Debian's prometheus package (.ci/run does)"
    (tmp / "rules.yaml").write_text(with_tile_interval(rules_text(SPEC_TEXT), "1s"),
                                    encoding="utf-8")
    (tmp / "prometheus.yml").write_text(yaml.safe_dump({
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(tmp / "rules.yaml")],
        "scrape_configs": [{"job_name": "jupyter-slo", "static_configs": [
            {"targets": [f"127.0.0.1:{exporter_port}"]}]}],
    }), encoding="utf-8")
    port = free_port()
    log_path = tmp / "prometheus.log"
    proc = subprocess.Popen(
        [binary, f"--config.file={tmp / 'prometheus.yml'}",
         f"--storage.tsdb.path={tmp / 'data'}", f"--web.listen-address=127.0.0.1:{port}",
         "--web.enable-lifecycle"],
        stdout=log_path.open("ab"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    prom = Prometheus(port, proc, log_path)
    wait_until(lambda: proc.poll() is None and
               urllib.request.urlopen(f"{prom.url}/-/ready", timeout=5).status == 200, 60,
               f"Prometheus on port {port} (log {log_path})", 0.3)
    return prom


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[JupyterServer,
                                                                       ExporterProcess,
                                                                       Prometheus]]:
    tmp = tmp_path_factory.mktemp("stack")
    jupyter = make_server(tmp / "jupyter")
    jupyter.start()
    exporter = prometheus = None
    try:
        token_file = tmp / "token"
        token_file.write_text(jupyter.token)
        exporter = start_exporter([f"--jupyter-url=dev={jupyter.url}",
                                   f"--jupyter-token-file={token_file}", "--poll-interval=1s",
                                   "--probe-interval=2s", "--idle-threshold=1s"],
                                  tmp / "exporter.log")
        prometheus = _start_prometheus(tmp, exporter.port)
        # Counters must be scraped at their old values before the traffic, or rate() sees a
        # series that starts at its final value and no increase at all.
        wait_until(lambda: prometheus.instant(
            f'count_over_time({x.KERNEL_CRASHES.name}{{{x.LABEL_KERNEL_NAME}="crashy"}}[1m])'
            " >= 3"), 60, "three scrapes of the exporter before the traffic", 0.5)
        _traffic(jupyter)
        _wait_for_data(prometheus)
        yield jupyter, exporter, prometheus
    finally:
        if prometheus is not None:
            prometheus.stop()
        if exporter is not None:
            exporter.stop()
        jupyter.stop()


def _traffic(jupyter: JupyterServer) -> None:
    status, _ = jupyter.request("POST", "api/sessions", {
        "path": "work.ipynb", "type": "notebook", "name": "work.ipynb",
        "kernel": {"name": "python3"}})
    assert status == 201
    notebook = {"type": "notebook", "format": "json", "content": {
        "cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}}
    assert jupyter.request("PUT", "api/contents/work.ipynb", notebook)[0] in (200, 201)
    assert jupyter.request("GET", "api/status", token="not-the-token")[0] in (401, 403)
    assert jupyter.request("POST", "api/kernels", {"name": "crashy"})[0] == 201


def _wait_for_data(prom: Prometheus) -> None:
    ids = f'{n.LABEL_ID}="{SLO_UNDER_TEST}"'
    checks = [
        f"{n.CURRENT_BURN_RATE}{{{ids}}} > 0",                  # crashes reached the SLO
        f"{n.sli_error_ratio(duration.parse('3d'))}{{{ids}}}",  # the longest tier window
        f"{x.KERNEL_STARTUP.name}_count > 1",                   # probes ran
        f"{x.CONTENTS_SAVES.name}",                             # a user save was seen
        f"{x.AUTH_FAILURES.name} > 0",                          # the wrong token was seen
        f"{x.IDLE_KERNELS.name}",
    ]
    for expr in checks:
        wait_until(lambda e=expr: prom.instant(e), 120, f"Prometheus to hold {expr}", 1.0)
    time.sleep(3)  # a few more evaluations so range queries span several points


def _run(prom: Prometheus, target: dict[str, Any]) -> tuple[str | None, bool]:
    """(error, has data) for one panel query, run the way Grafana runs it."""
    expr = substitute(target["expr"], QUERY_VALUES)
    if target.get("instant"):
        body = prom.api("query", query=expr)
    else:
        now = time.time()
        body = prom.api("query_range", query=expr, start=f"{now - 60:.3f}", end=f"{now:.3f}",
                        step="2")
    if body.get("status") != "success":
        return f"{body.get('errorType')}: {body.get('error')} in {expr}", False
    return None, bool(body["data"]["result"])


@pytest.mark.timeout(300)
def test_every_panel_query_runs_and_panels_whose_needs_are_met_return_data(
        stack: tuple[JupyterServer, ExporterProcess, Prometheus],
        built_boards: tuple[Board, ...], dashboards: dict[str, dict[str, Any]],
        record_property: Any, capsys: pytest.CaptureFixture[str]) -> None:
    _, _, prom = stack
    met = MET_ALWAYS | ({NEED_FIRING} if prom.instant('ALERTS{alertstate="firing"}')
                        else frozenset())
    errors, empty_but_met, with_data, total = [], [], 0, 0
    for board in built_boards:
        for panel in panels(dashboards[naming.file_name(board.name)]):
            total += 1
            results = [_run(prom, t) for t in panel["targets"]]
            errors += [f"{board.name} / {panel['title']}: {e}" for e, _ in results if e]
            has_data = any(data for _, data in results)
            with_data += has_data
            if not has_data and board.needs[panel["title"]] <= met:
                empty_but_met.append(f"{board.name} / {panel['title']}")
    summary = (f"{with_data} of {total} panels returned data (needs met: {sorted(met)}; "
               f"the rest need GPU, Hub, node or per-kernel collectors)")
    record_property("panels_with_data", with_data)
    record_property("panels_total", total)
    with capsys.disabled():
        print(f"\n[dashboards] {summary}")
    assert errors == []
    assert empty_but_met == [], summary
    assert with_data >= 40, summary
