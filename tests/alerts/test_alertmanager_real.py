"""Muting and inhibition in a real Alertmanager 0.25: alerts posted to its API, deliveries
caught by a webhook. amtool's route tests show where an alert goes; only a running
Alertmanager shows what is delivered."""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from alerts import localstack
from alerts import naming as an
from tests.alerts.helpers import parsed, write_am
from tests.exporter.servers import wait_until

pytestmark = pytest.mark.real


def _config(hook: str) -> str:
    return f"""\
version: jupyter-slo/alerting/v1
receivers:
  page: [{{webhook: {{url: "{hook}page"}}}}]
  ticket: [{{webhook: {{url: "{hook}ticket"}}}}]
timing:
  page: {{group_wait: 1s, group_interval: 1m, repeat_interval: 1h}}
  ticket: {{group_wait: 3s, group_interval: 1m, repeat_interval: 1h}}
maintenance:
  - name: always
    time_intervals: [{{times: [{{start_time: "00:00", end_time: "24:00"}}]}}]
    mute: [{{team: research}}]
"""


def _slo(slo: str, severity: str, owner: str) -> dict[str, str]:
    return {"alertname": "JupyterKernelCrashBudgetBurn", "sloth_id": f"svc-{slo}",
            "sloth_service": "svc", "sloth_slo": slo, "sloth_severity": severity,
            "owner": owner}


ALERTS = [
    _slo("muted", an.PAGE, "research"),
    _slo("burning", an.PAGE, "platform"),
    _slo("burning", an.TICKET, "platform"),
    _slo("slow", an.TICKET, "platform"),
    {"alertname": an.TARGET_DOWN, "server": "alice", "sloth_severity": an.PAGE},
    {"alertname": an.KERNEL_CRASH_SPIKE, "server": "alice", "sloth_severity": an.TICKET},
]


@pytest.fixture()
def alertmanager(tmp_path: Path) -> Iterator[tuple[str, localstack.WebhookSink]]:
    binaries = localstack.find_binaries()
    assert binaries, "prometheus-alertmanager must be on PATH (.ci/run installs it)"
    sink = localstack.WebhookSink()
    path = write_am(tmp_path, parsed(_config(sink.start())))
    am = localstack.start_alertmanager(binaries.alertmanager, path, tmp_path,
                                       localstack.free_port())
    try:
        yield am.url, sink
    finally:
        am.stop()
        sink.stop()


@pytest.mark.timeout(120)
def test_maintenance_mutes_and_a_page_inhibits_its_slos_ticket(
        alertmanager: tuple[str, localstack.WebhookSink]) -> None:
    url, sink = alertmanager
    body = json.dumps([{"labels": labels, "annotations": {"summary": "test"}}
                       for labels in ALERTS]).encode()
    request = urllib.request.Request(url + "api/v2/alerts", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as resp:
        assert resp.status == 200

    def delivered() -> set[tuple[str, str]]:
        return {(a["labels"].get("sloth_slo") or a["labels"]["alertname"], n.receiver)
                for n in sink.snapshot() for a in n.firing()}

    expected = {("burning", "page"), ("slow", "ticket"), (an.TARGET_DOWN, "page"),
                (an.KERNEL_CRASH_SPIKE, "ticket")}
    wait_until(lambda: expected <= delivered(), 60, "the unmuted deliveries")
    time.sleep(8)  # past both group_waits again: anything muted or inhibited would show now
    assert delivered() == expected
