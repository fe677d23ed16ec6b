"""The exposition: a golden file pins names, types and labels; promtool lints it; the format
follows the Accept header (OpenMetrics when asked)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from exporter import accounting, naming
from exporter.app import render
from exporter.collectors.base import ExporterView
from exporter.config import COLLECTORS_DEFAULT_ON
from exporter.model import Kernel, RequestCounts, ServerView, Session
from exporter.state import (
    TargetState,
    record_save_probe,
    record_startup_probe,
)
from tests.exporter.metrics import samples

GOLDEN = Path(__file__).parent / "golden" / "metrics.prom"
PROMTOOL = "/usr/bin/promtool"
A = "aaaaaaaa-0000-4000-8000-000000000001"
B = "bbbbbbbb-0000-4000-8000-000000000002"
NOW = 1_800_000_000.0


def full_view() -> ExporterView:
    """A fixed state in which every family has at least one sample."""
    server = ServerView(
        version="2.21.1", started=NOW - 3600, last_activity=NOW - 60,
        kernels=(Kernel(A, "python3", "idle", 0, NOW - 7200),
                 Kernel(B, "python3", "busy", 2, NOW - 1)),
        sessions=(Session("s1", "notebooks/analysis.ipynb", B),), terminals=1,
        kernelspecs=frozenset({"python3"}), request_counts=RequestCounts(0, 0, 0, 0, 0))
    acc = accounting.Accounting(
        baseline=True, server_started=server.started, counts=server.request_counts,
        events_since=NOW - 100, starts={"python3": 11},
        crashes={("python3", naming.CRASH_RESTART): 3, ("python3", naming.CRASH_DEATH): 1},
        saves={naming.SAVE_SUCCESS: 12.0, naming.SAVE_FAILURE: 1.0}, auth_failures=13.0)
    state = TargetState(name="dev", up=True, view=server, last_poll=NOW - 5,
                        poll_errors={naming.REASON_REFUSED: 2}, accounting=acc,
                        stream_up=True, events={naming.EVENT_ACCEPTED: 14})
    state = record_startup_probe(state, "python3", naming.PROBE_SUCCESS, 0.625)
    state = record_startup_probe(state, "python3", naming.PROBE_TIMEOUT, 60.0)
    state = record_save_probe(state, naming.SAVE_SUCCESS, 0.0625)
    return ExporterView((state,), NOW, 1800.0, "0.0.0-test", "python3", True)


def _normalise(text: str) -> str:
    pattern = rf"^({naming.COLLECTOR_DURATION.name}\{{[^}}]*\}}) \S+$"
    return re.sub(pattern, r"\1 <duration>", text, flags=re.MULTILINE)


def test_golden_exposition(update_golden: bool) -> None:
    body, content_type = render(full_view(), frozenset(COLLECTORS_DEFAULT_ON), None)
    assert content_type.startswith("text/plain; version=0.0.4")
    text = _normalise(body.decode())
    if update_golden:
        GOLDEN.write_text(text)
    assert text == GOLDEN.read_text(), "exposition changed; review and rerun --update-golden"


def test_every_catalogue_metric_is_in_the_golden_file_with_its_labels() -> None:
    text = GOLDEN.read_text()
    for spec in naming.ALL_METRICS:
        family = spec.name.removesuffix("_total")
        assert f"# TYPE {spec.name} {spec.type}\n" in text, spec.name
        found = [labels for name, labels, _ in samples(text.replace("<duration>", "0"))
                 if name.startswith(family)]
        assert found, f"{spec.name} has no sample"
        assert all(set(labels) - {"le"} == set(spec.labels) for labels in found), spec.name


@pytest.mark.real
@pytest.mark.timeout(30)
def test_promtool_accepts_the_exposition(tmp_path: Path) -> None:
    body, _ = render(full_view(), frozenset(COLLECTORS_DEFAULT_ON), None)
    result = subprocess.run([PROMTOOL, "check", "metrics"], input=body, capture_output=True,
                            timeout=20)
    assert result.returncode == 0, result.stderr.decode() + result.stdout.decode()


def test_openmetrics_when_asked() -> None:
    accept = "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5"
    body, content_type = render(full_view(), frozenset(COLLECTORS_DEFAULT_ON), accept)
    assert content_type.startswith("application/openmetrics-text")
    text = body.decode()
    assert text.endswith("# EOF\n")
    assert 'jupyter_kernel_crashes_total{kernel_name="python3",kind="restart",server="dev"} 3.0' \
        in text


def test_no_notebook_path_or_session_name_reaches_a_label() -> None:
    body, _ = render(full_view(), frozenset(COLLECTORS_DEFAULT_ON), None)
    assert "analysis" not in body.decode() and "notebooks" not in body.decode()


def test_idle_kernels_need_idle_state_no_connection_and_old_activity() -> None:
    body, _ = render(full_view(), frozenset(COLLECTORS_DEFAULT_ON), None)
    text = body.decode()
    assert 'jupyter_idle_kernels{kernel_name="python3",server="dev"} 1.0' in text
    assert 'jupyter_kernel_connections{server="dev"} 2.0' in text


def test_disabled_collectors_disappear_but_self_metrics_stay() -> None:
    body, _ = render(full_view(), frozenset({naming.COLLECTOR_KERNELS}), None)
    text = body.decode()
    assert naming.KERNEL_CRASHES.name not in text and naming.UP.name in text
    assert 'collector="kernels"' in text and 'collector="crashes"' not in text
