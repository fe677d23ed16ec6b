"""Node and per-kernel collectors on procfs fixture files (an injectable root), and once on
this machine's real /proc with real processes."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import psutil
import pytest

from exporter import naming
from exporter.app import render
from exporter.collectors.base import ExporterView
from exporter.kernel_procs import kernel_usage
from exporter.model import HostSnapshot, Kernel, ServerView
from exporter.sources import node, procfs
from exporter.state import TargetState
from tests.exporter.metrics import value
from tests.exporter.servers import JupyterServer, wait_until

K1 = "11111111-2222-4333-8444-555555555555"
K2 = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"
PAGE, TCK = 4096, 100


def _stat(pid: int, comm: str, ppid: int, utime: int, stime: int, cutime: int = 0,
          cstime: int = 0) -> str:
    fields = ["S", str(ppid), "1", "1", "0", "-1", "0", "0", "0", "0", "0",
              str(utime), str(stime), str(cutime), str(cstime), "20", "0", "1", "0", "100"]
    return f"{pid} ({comm}) " + " ".join(fields) + "\n"


def write_process(root: Path, pid: int, ppid: int, argv: list[str], rss_pages: int,
                  ticks: tuple[int, int, int, int], comm: str = "python") -> None:
    d = root / str(pid)
    d.mkdir(parents=True)
    (d / "stat").write_text(_stat(pid, comm, ppid, *ticks))
    (d / "statm").write_text(f"1000 {rss_pages} 10 1 0 50 0\n")
    (d / "cmdline").write_bytes(b"\0".join(a.encode() for a in argv) + b"\0")


def write_fixture(root: Path) -> None:
    """Two kernels: K1 with a child and a grandchild, K2 started through a wrapper whose own
    command line also names the file (`conda run ... -f`), plus a daemon and a thread-name
    with spaces and parentheses in it."""
    runtime = "/home/u/.local/share/jupyter/runtime"
    write_process(root, 1, 0, ["/sbin/init"], 100, (1, 1, 0, 0), comm="init")
    write_process(root, 10, 1, ["jupyter-server"], 1000, (50, 10, 0, 0))
    write_process(root, 100, 10, ["python", "-m", "ipykernel_launcher", "-f",
                                  f"{runtime}/kernel-{K1}.json"], 2000, (300, 100, 40, 10))
    write_process(root, 101, 100, ["python", "train.py"], 5000, (1000, 0, 0, 0))
    write_process(root, 102, 101, ["python", "-c", "worker"], 500, (10, 10, 0, 0),
                  comm="pt_data_worker (1)")
    write_process(root, 200, 10, ["conda", "run", "--f=" + f"{runtime}/kernel-{K2}.json"],
                  10, (1, 1, 0, 0))
    write_process(root, 201, 200, ["R", "--slave", "-e", "IRkernel::main()", "--args",
                                   f"{runtime}/kernel-{K2}.json"], 3000, (200, 0, 0, 0))
    write_process(root, 300, 1, ["python", "-f", "/tmp/kernel-not-a-uuid.json"], 7, (1, 1, 0, 0))
    (root / "self").mkdir()  # not a pid: ignored
    (root / "stat").write_text(
        "cpu  1000 20 300 50000 40 0 6 0 0 0\ncpu0 500 10 150 25000 20 0 3 0 0 0\n"
        "intr 1234\n")
    (root / "meminfo").write_text("MemTotal:       16384000 kB\nMemFree:         1000 kB\n"
                                  "MemAvailable:    8192000 kB\nBuffers:  10 kB\n")
    (root / "loadavg").write_text("0.50 0.25 0.10 2/300 12345\n")
    (root / "pressure").mkdir()
    (root / "pressure" / "cpu").write_text(
        "some avg10=0.00 avg60=0.00 avg300=0.00 total=1500000\n"
        "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n")
    (root / "pressure" / "memory").write_text(
        "some avg10=0.00 avg60=0.00 avg300=0.00 total=250000\n"
        "full avg10=0.00 avg60=0.00 avg300=0.00 total=125000\n")
    (root / "1").joinpath("mounts").write_text(
        "/dev/sda1 / ext4 rw,relatime 0 0\nproc /proc proc rw 0 0\n"
        "overlay /var/lib/docker/overlay2/x/merged overlay rw 0 0\n"
        "tmpfs /run tmpfs rw 0 0\n/dev/sdb1 /home/with\\040space xfs rw 0 0\n"
        "/dev/sda1 / ext4 rw 0 0\n")


class FakeVfs:
    f_blocks, f_frsize, f_bavail = 1000, 4096, 250


def test_per_kernel_trees_from_fixture_files(tmp_path: Path) -> None:
    write_fixture(tmp_path)
    procs = procfs.read_processes(tmp_path, PAGE, TCK)
    usage = {u.kernel_id: u for u in kernel_usage(procs)}
    assert set(usage) == {K1, K2}
    assert usage[K1].pids == {100, 101, 102}
    assert usage[K1].rss_bytes == (2000 + 5000 + 500) * PAGE
    assert usage[K1].cpu_seconds == pytest.approx((300 + 100 + 40 + 10 + 1000 + 20) / TCK)
    assert usage[K2].pids == {200, 201}, "the wrapper is the root, R its child"


@pytest.mark.parametrize("argv,kernel", [
    pytest.param(["python", "-m", "ipykernel_launcher", "-f", f"/r/kernel-{K1}.json"], K1,
                 id="ipykernel's -f PATH"),
    pytest.param(["python", f"--f=/r/kernel-{K1}.json"], K1, id="the --f=PATH form"),
    pytest.param(["R", "--args", f"/r/kernel-{K1}.json"], K1, id="IRkernel's trailing PATH"),
    pytest.param(["python", "-f", "/r/kernel-12345.json"], None,
                 id="ipykernel's own pid-named file is no server kernel"),
    pytest.param(["cat", f"/r/kernel-{K1}.json.bak"], None, id="a different file name"),
])
def test_kernel_id_from_command_line(argv: list[str], kernel: str | None) -> None:
    assert procfs.kernel_id_from_cmdline(b"\0".join(a.encode() for a in argv)) == kernel


def test_node_statistics_from_fixture_files(tmp_path: Path) -> None:
    write_fixture(tmp_path)
    stats = node.read_node(tmp_path, Path("/rootfs"), statvfs=lambda path: FakeVfs(),
                           clk_tck=TCK)
    assert dict(stats.cpu_seconds) == {"user": 10.0, "nice": 0.2, "system": 3.0,
                                       "idle": 500.0, "iowait": 0.4, "irq": 0.0,
                                       "softirq": 0.06, "steal": 0.0}
    assert stats.memory_total_bytes == 16384000 * 1024
    assert stats.memory_available_bytes == 8192000 * 1024
    assert stats.load == (0.5, 0.25, 0.1)
    assert [(f.device, f.mountpoint, f.fstype) for f in stats.filesystems] == [
        ("/dev/sda1", "/", "ext4"), ("tmpfs", "/run", "tmpfs"),
        ("/dev/sdb1", "/home/with space", "xfs")]
    assert stats.filesystems[0].size_bytes == 1000 * 4096
    assert stats.filesystems[0].avail_bytes == 250 * 4096
    assert ("cpu", "some", 1.5) in stats.pressure and ("memory", "full", 0.125) in stats.pressure
    assert not any(r == "io" for r, _, _ in stats.pressure), "no io file: no io series"
    assert stats.complete

    view = ExporterView((), 0.0, 1800.0, "t", "python3", False,
                        host=HostSnapshot(0.0, node=stats))
    text = render(view, frozenset({naming.COLLECTOR_NODE}), None)[0].decode()
    assert value(text, naming.NODE_CPU.name, mode="idle") == 500.0
    assert value(text, naming.NODE_PRESSURE_MEMORY_STALLED.name) == 0.125
    assert value(text, naming.NODE_PRESSURE_IO_WAITING.name) is None
    assert value(text, naming.NODE_FS_AVAIL.name, mountpoint="/run") == 250 * 4096
    assert value(text, naming.COLLECTOR_SUCCESS.name, collector="node") == 1


def test_missing_files_make_the_node_collector_unsuccessful(tmp_path: Path) -> None:
    stats = node.read_node(tmp_path, tmp_path, clk_tck=TCK)
    assert not stats.complete and stats.cpu_seconds == ()


def test_idle_kernel_memory_and_per_kernel_series(tmp_path: Path) -> None:
    write_fixture(tmp_path)
    procs = procfs.read_processes(tmp_path, PAGE, TCK)
    server = ServerView("2.21.1", None, None, (
        Kernel(K1, "python3", "idle", 0, 0.0),  # idle for a long time
        Kernel(K2, "ir", "busy", 1, 0.0)), (), None, frozenset({"python3", "ir", "julia"}),
        None)
    target = TargetState(name="alice", up=True, view=server)
    host = HostSnapshot(0.0, procs, kernel_usage(procs))
    view = ExporterView((target,), 10_000.0, 1800.0, "t", "python3", False, host=host)
    text = render(view, frozenset({naming.COLLECTOR_KERNEL_RESOURCES}), None)[0].decode()
    k1 = dict(server="alice", kernel_id=K1, kernel_name="python3")
    assert value(text, naming.KERNEL_MEMORY.name, **k1) == 7500 * PAGE
    assert value(text, naming.KERNEL_CPU.name, **k1) == pytest.approx(14.7)
    assert value(text, naming.IDLE_KERNEL_MEMORY.name, server="alice",
                 kernel_name="python3") == 7500 * PAGE
    assert value(text, naming.IDLE_KERNEL_MEMORY.name, kernel_name="ir") == 0
    assert value(text, naming.IDLE_KERNEL_MEMORY.name, kernel_name="julia") == 0
    assert "kernel-" not in text and "runtime" not in text


@pytest.mark.real
@pytest.mark.timeout(60)
def test_real_proc_a_kernel_shaped_process_and_its_child(tmp_path: Path) -> None:
    """Real /proc: a process whose argv names a kernel file (the file is never created, let
    alone read) and its child; values agree with psutil, an independent reader."""
    kid = str(uuid.uuid4())
    code = ("import subprocess, sys, time; "
            "c = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(30)']); "
            "print(c.pid, flush=True); time.sleep(30)")
    proc = subprocess.Popen([sys.executable, "-c", code, "-f", f"{tmp_path}/kernel-{kid}.json"],
                            stdout=subprocess.PIPE)
    try:
        assert proc.stdout is not None
        child = int(proc.stdout.readline())
        usage = {u.kernel_id: u for u in kernel_usage(procfs.read_processes(Path("/proc")))}
        assert usage[kid].pids == {proc.pid, child}
        expected = sum(psutil.Process(p).memory_info().rss for p in (proc.pid, child))
        assert abs(usage[kid].rss_bytes - expected) < 2 << 20
        assert not (tmp_path / f"kernel-{kid}.json").exists()
    finally:
        proc.kill()
        proc.wait(10)
        if psutil.pid_exists(child):
            psutil.Process(child).kill()


@pytest.mark.real
@pytest.mark.timeout(60)
def test_real_jupyter_kernel_is_found_by_its_id(jupyter: JupyterServer) -> None:
    status, model = jupyter.request("POST", "api/kernels", {"name": "python3"})
    assert status == 201
    try:
        def found():
            usage = {u.kernel_id: u for u in kernel_usage(procfs.read_processes(Path("/proc")))}
            return usage.get(model["id"])
        usage = wait_until(found, 20, "the kernel's process")
        assert usage.rss_bytes > 10 << 20 and usage.cpu_seconds > 0
    finally:
        jupyter.request("DELETE", f"api/kernels/{model['id']}")


@pytest.mark.real
def test_real_node_statistics_agree_with_psutil() -> None:
    stats = node.read_node(Path("/proc"), Path("/"))
    assert stats.complete
    assert stats.memory_total_bytes == psutil.virtual_memory().total
    assert {m for m, _ in stats.cpu_seconds} == set(naming.CPU_MODES)
    idle = dict(stats.cpu_seconds)["idle"]
    assert idle == pytest.approx(psutil.cpu_times().idle, rel=0.05)
    assert stats.load is not None and stats.load[2] == pytest.approx(os.getloadavg()[2], abs=0.5)
    assert all(f.size_bytes >= f.avail_bytes >= 0 for f in stats.filesystems)
    if Path("/proc/pressure/cpu").exists():
        assert any(r == "cpu" for r, _, _ in stats.pressure)
