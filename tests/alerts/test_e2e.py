"""End to end with real processes: Jupyter Server -> exporter -> Prometheus -> Alertmanager ->
a webhook this test owns. Three SLOs side by side in one stack, one kernelspec each:

- `crash`: its kernel is SIGKILLed three times -> exactly one page, to the owning team's
  receiver, with the SLO's labels and a runbook link, and no ticket while it pages;
- `slow`: four kernels start, one crashes (error ratio 0.2: above the ticket thresholds 0.12
  and 0.06, below the page thresholds 0.6 and 0.3 of the tiny catalogue) -> a ticket, no page;
- `calm`: kernels start, none crashes -> no notification at all.
The window catalogue is the demo's (1h period, 10s..10m windows, objective 90 % here).
"""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from alerts import localstack
from alerts import naming as an
from alerts.config import parse_config
from alerts.operational import ALERTS, render_operational
from alerts.routing import render_alertmanager
from alerts.slorules import render_slo_rules
from exporter import naming as metrics
from slo import duration
from slo.demo import TINY_WINDOWS
from slo.generate.chain import Options
from slo.pipeline import load_and_validate
from slo.plugins import PluginRegistry
from slo.windows import load_catalogue
from tests.alerts.helpers import REPO, example_text
from tests.exporter.metrics import value
from tests.exporter.servers import (
    ExporterProcess,
    JupyterServer,
    kernel_pids,
    make_server,
    start_exporter,
    wait_until,
)

pytestmark = pytest.mark.real
KERNELS = ("crash", "slow", "calm")
OWNERS = {"crash": "notebooks", "slow": "platform", "calm": "platform"}
SERVICE = "e2e"


def _spec() -> str:
    slos = "".join(f"""
  - name: {k}-kernels
    objective: 90
    labels: {{owner: {OWNERS[k]}}}
    sli:
      preset: {{name: kernel-crashes, matchers: 'kernel_name="{k}"'}}
    alerting:
      name: JupyterKernelCrashBudgetBurn
      annotations: {{summary: "Kernels {k} are crashing."}}
""" for k in KERNELS)
    return f"version: jupyter-slo/v1\nservice: {SERVICE}\nperiod: 1h\nslos:{slos}"


def _alerting(hook: str) -> str:
    """The documented example's shape, with every receiver pointing at the test's webhook."""
    return f"""\
version: jupyter-slo/alerting/v1
links: {{runbook_base_url: "alerts/runbooks/", grafana_url: "http://grafana.invalid"}}
receivers:
  page: [{{webhook: {{url: "{hook}page"}}}}]
  ticket: [{{webhook: {{url: "{hook}ticket"}}}}]
teams:
  notebooks:
    page: [{{webhook: {{url: "{hook}notebooks-page"}}}}]
timing:
  page: {{group_wait: 1s, group_interval: 2m, repeat_interval: 1h}}
  ticket: {{group_wait: 5s, group_interval: 2m, repeat_interval: 1h}}
"""


class Stack:
    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.parts: list[localstack.Process] = []
        self.sink = localstack.WebhookSink()
        self.jupyter: JupyterServer | None = None
        self.exporter: ExporterProcess | None = None

    def start(self) -> None:
        binaries = localstack.find_binaries()
        assert binaries, "prometheus and prometheus-alertmanager must be on PATH (.ci/run)"
        self.jupyter = make_server(self.tmp / "jupyter")
        share = self.tmp / "jupyter" / "share" / "kernels"
        python3 = json.loads((share / "python3" / "kernel.json").read_text())
        for name in KERNELS:
            (share / name).mkdir()
            (share / name / "kernel.json").write_text(json.dumps({**python3, "display_name": name}))
        self.jupyter.start()
        token = self.tmp / "token"
        token.write_text(self.jupyter.token)
        token.chmod(0o600)
        self.exporter = start_exporter(
            [f"--jupyter-url=e2e={self.jupyter.url}", f"--jupyter-token-file={token}",
             "--poll-interval=1s", "--probe-interval=0"], self.tmp / "exporter.log")
        wait_until(lambda: value(self.exporter.metrics_text(), metrics.EVENT_STREAM_UP.name)
                   == 1, 30, "the exporter's event stream")
        hook = self.sink.start()
        config, problems = parse_config(_alerting(hook), "alerting.yaml")
        assert not problems, problems
        rules = self._rules(config)
        (self.tmp / "am.yaml").write_text(render_alertmanager(config, "v0"))
        am_port, prom_port = localstack.free_port(), localstack.free_port()
        self.parts.append(localstack.start_alertmanager(
            binaries.alertmanager, self.tmp / "am.yaml", self.tmp, am_port))
        (self.tmp / "prometheus.yaml").write_text(localstack.prometheus_config(
            job=config.operational.exporter_job, exporter=f"127.0.0.1:{self.exporter.port}",
            alertmanager=f"127.0.0.1:{am_port}", rule_files=rules, interval="1s"))
        self.parts.append(localstack.start_prometheus(
            binaries.prometheus, self.tmp / "prometheus.yaml", self.tmp, prom_port))

    def _rules(self, config: object) -> list[str]:
        (self.tmp / "windows").mkdir()
        (self.tmp / "windows" / "tiny.yaml").write_text(TINY_WINDOWS)
        spec = self.tmp / "specs" / "e2e.yaml"
        spec.parent.mkdir()
        spec.write_text(_spec())
        catalogue, period = load_catalogue(self.tmp / "windows"), duration.parse("1h")
        loaded = load_and_validate([spec], PluginRegistry(), catalogue, period)
        assert loaded.ok, loaded.problems
        options = Options(version="v0", catalogue=catalogue, default_period_ms=period)
        slo_rules, ops = self.tmp / "slo-rules.yaml", self.tmp / "ops-rules.yaml"
        slo_rules.write_text(render_slo_rules(loaded.files[0], options, config.links))
        ops.write_text(render_operational(config, "v0"))
        return [str(slo_rules), str(ops)]

    def stop(self) -> None:
        for part in reversed(self.parts):
            part.stop()
        if self.exporter is not None:
            self.exporter.stop()
        if self.jupyter is not None:
            self.jupyter.stop()
        self.sink.stop()


@pytest.fixture()
def stack(tmp_path: Path) -> Iterator[Stack]:
    running = Stack(tmp_path)
    try:
        running.start()
        yield running
    finally:
        running.stop()


def _start_kernel(jupyter: JupyterServer, name: str) -> str:
    status, kernel = jupyter.request("POST", "api/kernels", {"name": name})
    assert status == 201, kernel
    return kernel["id"]


def _starts(exp: ExporterProcess, name: str) -> float:
    return value(exp.metrics_text(), metrics.KERNEL_STARTS.name, kernel_name=name) or 0.0


def _crash(kernel_id: str) -> None:
    old = wait_until(lambda: kernel_pids(kernel_id), 30, "the kernel's process")
    for pid in old:
        os.kill(pid, signal.SIGKILL)
    wait_until(lambda: (new := kernel_pids(kernel_id)) and not set(new) & set(old), 30,
               "the automatic restart")
    time.sleep(1.0)


def _slo_id(kernel: str) -> str:
    return f"{SERVICE}-{kernel}-kernels"


@pytest.mark.timeout(330)
def test_crashes_page_once_a_slow_fault_tickets_and_calm_stays_silent(stack: Stack) -> None:
    jupyter, exporter, sink = stack.jupyter, stack.exporter, stack.sink
    assert jupyter is not None and exporter is not None
    # Warm-up: each kernelspec's start counter must exist before the faults, or its first
    # increment is invisible to rate().
    first = {name: _start_kernel(jupyter, name) for name in KERNELS}
    wait_until(lambda: all(_starts(exporter, n) == 1 for n in KERNELS), 60, "warm-up starts")
    time.sleep(6)
    # The slow fault: four more kernels, then one crash among five lifecycles.
    for _ in range(4):
        _start_kernel(jupyter, "slow")
    _start_kernel(jupyter, "calm")
    wait_until(lambda: _starts(exporter, "slow") == 5, 60, "the slow kernels' starts")
    _crash(first["slow"])
    # The fast fault.
    fault = time.time()
    for _ in range(3):
        _crash(first["crash"])

    def pages(slo: str) -> list[localstack.Notification]:
        return [n for n in sink.snapshot() if n.firing(sloth_id=slo, sloth_severity=an.PAGE)]

    crash_id = _slo_id("crash")
    wait_until(lambda: pages(crash_id), 180, "the page")
    paged = pages(crash_id)[0].received
    assert paged - fault < 180
    wait_until(lambda: [n for n in sink.snapshot()
                        if n.firing(sloth_id=_slo_id("slow"), sloth_severity=an.TICKET)],
               120, "the slow fault's ticket")
    time.sleep(max(0.0, paged + 62 - time.time()))

    notes = sink.snapshot()
    in_minute = [n for n in pages(crash_id) if n.received <= paged + 60]
    assert len(in_minute) == 1, [n.payload for n in in_minute]
    page = in_minute[0]
    assert page.receiver == an.team_receiver("notebooks", an.PAGE)
    assert page.path == "/notebooks-page"
    (alert,) = page.firing(sloth_id=crash_id)
    assert {k: alert["labels"][k] for k in ("alertname", "sloth_id", "sloth_service",
                                            "sloth_slo", "sloth_severity", "owner")} == {
        "alertname": "JupyterKernelCrashBudgetBurn", "sloth_id": crash_id,
        "sloth_service": SERVICE, "sloth_slo": "crash-kernels", "sloth_severity": an.PAGE,
        "owner": "notebooks"}
    runbook = alert["annotations"]["runbook_url"]
    assert runbook == "alerts/runbooks/kernel-crash.md" and (REPO / runbook).is_file()
    assert alert["annotations"]["dashboard_url"].endswith(f"var-slo={crash_id}")
    # The page inhibits the same SLO's ticket.
    assert not [n for n in notes if n.received <= paged + 60
                and n.firing(sloth_id=crash_id, sloth_severity=an.TICKET)]
    # The slow fault: a ticket to the default ticket receiver, and never a page.
    assert not pages(_slo_id("slow"))
    slow = [n for n in notes if n.firing(sloth_id=_slo_id("slow"), sloth_severity=an.TICKET)]
    assert slow[0].receiver == an.default_receiver(an.TICKET)
    # No fault: no notification of any kind; healthy platform: no operational alert.
    assert not [n for n in notes for a in n.alerts
                if a["labels"].get("sloth_id") == _slo_id("calm")]
    operational = {a.name for a in ALERTS}
    assert not [a for n in notes for a in n.alerts if a["labels"]["alertname"] in operational]
    assert example_text()  # the same format as the documented example
