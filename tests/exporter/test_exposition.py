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
from exporter.config import COLLECTORS_DEFAULT_ON, COLLECTORS_OPTIONAL
from exporter.model import (
    Filesystem,
    GpuDevice,
    GpuProcess,
    GpuSnapshot,
    HostSnapshot,
    Kernel,
    KernelUsage,
    NodeStats,
    ProcInfo,
    RequestCounts,
    ServerView,
    Session,
    XidCount,
)
from exporter.notebooks.stats import Lookup, NotebookStats, record
from exporter.scheduler_jobs import SchedulerJob, SchedulerJobs, fold
from exporter.state import (
    TargetState,
    record_save_probe,
    record_startup_probe,
)
from tests.exporter.metrics import samples

GOLDEN = Path(__file__).parent / "golden" / "metrics.prom"
ALL_COLLECTORS = frozenset(COLLECTORS_DEFAULT_ON) | frozenset(COLLECTORS_OPTIONAL)
PROMTOOL = "/usr/bin/promtool"
A = "aaaaaaaa-0000-4000-8000-000000000001"
B = "bbbbbbbb-0000-4000-8000-000000000002"
P = "cccccccc-0000-4000-8000-000000000003"  # a probe kernel left by an earlier run
NOW = 1_800_000_000.0


def full_view() -> ExporterView:
    """A fixed state in which every family has at least one sample."""
    server = ServerView(
        version="2.21.1", started=NOW - 3600, last_activity=NOW - 60,
        kernels=(Kernel(A, "python3", "idle", 0, NOW - 7200),
                 Kernel(B, "python3", "busy", 2, NOW - 1),
                 Kernel(P, "python3", "idle", 1, NOW - 7200)),
        sessions=(Session("s1", "notebooks/analysis.ipynb", B),
                  Session("s2", "jupyter-slo-probe/kernel-0ld1nst4-0123.ipynb", P)),
        terminals=1,
        kernelspecs=frozenset({"python3"}), request_counts=RequestCounts(0, 0, 0, 0, 0))
    acc = accounting.Accounting(
        baseline=True, server_started=server.started, counts=server.request_counts,
        events_since=NOW - 100, starts={"python3": 11},
        crashes={("python3", naming.CRASH_RESTART): 3, ("python3", naming.CRASH_DEATH): 1},
        saves={naming.SAVE_SUCCESS: 12.0, naming.SAVE_FAILURE: 1.0}, auth_failures=13.0)
    state = TargetState(name="dev", up=True, view=server, last_poll=NOW - 5,
                        poll_errors={naming.REASON_REFUSED: 2}, accounting=acc,
                        stream_up=True, events={naming.EVENT_ACCEPTED: 14},
                        notebooks=full_notebooks(), jobs=full_jobs())
    state = record_startup_probe(state, "python3", naming.PROBE_SUCCESS, 0.625)
    state = record_startup_probe(state, "python3", naming.PROBE_TIMEOUT, 60.0)
    state = record_save_probe(state, naming.SAVE_SUCCESS, 0.0625)
    return ExporterView((state,), NOW, 1800.0, "0.0.0-test", "python3", True,
                        host=full_host(), hub_up=True, poll_cycle_seconds=0.5)


def full_notebooks() -> NotebookStats:
    """Two saves looked up (one with an AWS key found), one missing."""
    stats = NotebookStats()
    for lookup in (Lookup(naming.LOOKUP_READ, 52_000.0, "reports/huge.ipynb",
                          {"aws_access_key": 1}),
                   Lookup(naming.LOOKUP_READ, 3_000.0, "reports/small.ipynb", {}),
                   Lookup(naming.LOOKUP_MISSING)):
        stats = record(stats, lookup, NOW - 10, keep_paths=True)
    return stats


def full_jobs() -> SchedulerJobs:
    """One jupyter-scheduler job: a baseline run, then a success and a failure."""
    first = (SchedulerJob("r0", "nightly", naming.JOB_RESULT_SUCCESS, NOW - 900, NOW - 800),)
    later = (*first,
             SchedulerJob("r1", "nightly", naming.JOB_RESULT_SUCCESS, NOW - 300, NOW - 240),
             SchedulerJob("r2", "nightly", naming.JOB_RESULT_FAILURE, NOW - 200, NOW - 190))
    return fold(fold(SchedulerJobs(), first), later)


def full_host() -> HostSnapshot:
    """Kernel A (idle) holds 96 MiB; kernel B's child 300 uses 1 GiB on GPU 0."""
    procs = (ProcInfo(100, 1, 10.0, 64 << 20, A), ProcInfo(101, 100, 2.5, 32 << 20, None),
             ProcInfo(200, 1, 4.0, 128 << 20, B), ProcInfo(300, 200, 1.0, 8 << 20, None),
             ProcInfo(400, 1, 1.0, 1 << 20, None))
    kernels = (KernelUsage(A, 96 << 20, 12.5, frozenset({100, 101})),
               KernelUsage(B, 136 << 20, 5.0, frozenset({200, 300})))
    node = NodeStats(
        cpu_seconds=tuple((m, 10.0 * i) for i, m in enumerate(naming.CPU_MODES)),
        memory_total_bytes=8 << 30, memory_available_bytes=6 << 30, load=(0.5, 0.25, 0.125),
        filesystems=(Filesystem("/dev/sda1", "/", "ext4", 100 << 30, 40 << 30),),
        pressure=(("cpu", "some", 1.5), ("memory", "some", 0.5), ("memory", "full", 0.25),
                  ("io", "some", 2.0), ("io", "full", 1.0)))
    gpu = GpuSnapshot("ok", (GpuDevice(
        0, "GPU-0000aaaa-0000-0000-0000-000000000000", "NVIDIA H100 80GB HBM3",
        utilization_ratio=0.5, memory_utilization_ratio=0.25, memory_total_bytes=80 << 30,
        memory_used_bytes=3 << 30, memory_free_bytes=77 << 30, temperature_celsius=40.0,
        power_watts=100.5, energy_joules=12345.0, ecc_corrected=0.0, ecc_uncorrected=0.0,
        processes=(GpuProcess(300, 1 << 30), GpuProcess(400, 2 << 30))),), 0, "580.82.07",
        (XidCount(0, "GPU-0000aaaa-0000-0000-0000-000000000000", "79", 1),))
    return HostSnapshot(NOW - 1, procs, kernels, node, gpu)


def _normalise(text: str) -> str:
    pattern = rf"^({naming.COLLECTOR_DURATION.name}\{{[^}}]*\}}) \S+$"
    return re.sub(pattern, r"\1 <duration>", text, flags=re.MULTILINE)


def test_golden_exposition(update_golden: bool) -> None:
    body, content_type = render(full_view(), ALL_COLLECTORS, None)
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
    body, _ = render(full_view(), ALL_COLLECTORS, None)
    result = subprocess.run([PROMTOOL, "check", "metrics"], input=body, capture_output=True,
                            timeout=20)
    assert result.returncode == 0, result.stderr.decode() + result.stdout.decode()


def test_openmetrics_when_asked() -> None:
    accept = "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5"
    body, content_type = render(full_view(), ALL_COLLECTORS, accept)
    assert content_type.startswith("application/openmetrics-text")
    text = body.decode()
    assert text.endswith("# EOF\n")
    assert 'jupyter_kernel_crashes_total{kernel_name="python3",kind="restart",server="dev"} 3.0' \
        in text


@pytest.mark.parametrize("collectors, paths", [
    pytest.param(ALL_COLLECTORS - {naming.COLLECTOR_NOTEBOOK_PATHS}, set(),
                 id="without notebook_paths no path or session name reaches a label"),
    pytest.param(ALL_COLLECTORS, {"reports/huge.ipynb", "reports/small.ipynb"},
                 id="notebook_paths adds exactly the largest notebooks' paths"),
])
def test_no_notebook_path_or_session_name_reaches_a_label(collectors: frozenset[str],
                                                           paths: set[str]) -> None:
    body, _ = render(full_view(), collectors, None)
    values = {v for _, labels, _ in samples(body.decode()) for v in labels.values()}
    assert not any("analysis" in v or "notebooks/" in v or "reports/" in v
                   for v in values - paths)
    assert paths <= values


def test_idle_kernels_need_idle_state_no_connection_and_old_activity() -> None:
    body, _ = render(full_view(), ALL_COLLECTORS, None)
    text = body.decode()
    assert 'jupyter_idle_kernels{kernel_name="python3",server="dev"} 1.0' in text
    assert 'jupyter_kernel_connections{server="dev"} 2.0' in text


def test_disabled_collectors_disappear_but_self_metrics_stay() -> None:
    body, _ = render(full_view(), frozenset({naming.COLLECTOR_KERNELS}), None)
    text = body.decode()
    assert naming.KERNEL_CRASHES.name not in text and naming.UP.name in text
    assert 'collector="kernels"' in text and 'collector="crashes"' not in text
