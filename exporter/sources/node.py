"""Node statistics from procfs (`--path.procfs`) and statvfs under `--path.rootfs`.

Conventions follow node_exporter, so PromQL written for `node_*` carries over: seconds
(/proc/stat ticks divided by USER_HZ, PSI microseconds divided by 1e6), bytes (meminfo kB
times 1024), and node_exporter's filesystem exclusions. CPU time is summed over CPUs (no
`cpu` label) to keep cardinality flat on large nodes. Parsers are pure; `read_node` does the
I/O and runs in the host sampler's worker thread (statvfs on a dead NFS mount can block; the
sampler's time limit covers it). A missing PSI file means the kernel has no PSI: not an error.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Callable
from pathlib import Path

from exporter import naming
from exporter.model import Filesystem, NodeStats

# node_exporter's defaults (collector/filesystem_linux.go)
EXCLUDED_MOUNTPOINTS = re.compile(
    r"^/(dev|proc|run/credentials/.+|sys|var/lib/docker/.+|var/lib/containers/storage/.+)($|/)")
EXCLUDED_FSTYPES = frozenset({
    "autofs", "binfmt_misc", "bpf", "cgroup", "cgroup2", "configfs", "debugfs", "devpts",
    "devtmpfs", "fusectl", "hugetlbfs", "iso9660", "mqueue", "nsfs", "overlay", "proc",
    "procfs", "pstore", "rpc_pipefs", "securityfs", "selinuxfs", "squashfs", "erofs", "sysfs",
    "tracefs"})
MAX_MOUNTS = 1000
_OCTAL = re.compile(r"\\([0-7]{3})")

StatVfs = Callable[[str], os.statvfs_result]


def parse_cpu_seconds(text: str, clk_tck: int) -> tuple[tuple[str, float], ...]:
    """The aggregate `cpu ` line of /proc/stat, by node_exporter's mode names."""
    for line in text.splitlines():
        if line.startswith("cpu "):
            ticks = [int(v) for v in line.split()[1:]]
            return tuple((mode, ticks[i] / clk_tck) for i, mode in enumerate(naming.CPU_MODES)
                         if i < len(ticks))
    raise ValueError("/proc/stat: no aggregate cpu line")


def parse_meminfo(text: str) -> dict[str, float]:
    """Keys to bytes (`kB` values times 1024), as node_exporter's meminfo collector does."""
    out: dict[str, float] = {}
    for line in text.splitlines():
        key, _, rest = line.partition(":")
        parts = rest.split()
        if parts:
            value = float(parts[0])
            out[key.strip()] = value * 1024 if len(parts) > 1 and parts[1] == "kB" else value
    return out


def parse_loadavg(text: str) -> tuple[float, float, float]:
    one, five, fifteen = (float(v) for v in text.split()[:3])
    return one, five, fifteen


def parse_pressure(text: str) -> dict[str, float]:
    """`some`/`full` lines of a /proc/pressure file: their `total=` (µs) in seconds."""
    out = {}
    for line in text.splitlines():
        kind, *fields = line.split()
        for field in fields:
            if field.startswith("total="):
                out[kind] = int(field[6:]) / 1e6
    return out


def _unescape(text: str) -> str:
    return _OCTAL.sub(lambda m: chr(int(m.group(1), 8)), text)


def parse_mounts(text: str) -> tuple[tuple[str, str, str], ...]:
    """(device, mountpoint, fstype) worth reporting, first mount of each mountpoint kept."""
    seen: set[str] = set()
    out = []
    for line in text.splitlines()[:MAX_MOUNTS]:
        parts = line.split()
        if len(parts) < 3:
            continue
        device, mountpoint, fstype = _unescape(parts[0]), _unescape(parts[1]), parts[2]
        if fstype in EXCLUDED_FSTYPES or EXCLUDED_MOUNTPOINTS.match(mountpoint) \
                or mountpoint in seen:
            continue
        seen.add(mountpoint)
        out.append((device, mountpoint, fstype))
    return tuple(out)


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def read_node(procfs: Path, rootfs: Path, statvfs: StatVfs = os.statvfs,
              clk_tck: int | None = None) -> NodeStats:
    complete = True
    cpu: tuple[tuple[str, float], ...] = ()
    stat = _read(procfs / "stat")
    try:
        cpu = parse_cpu_seconds(stat or "", clk_tck or os.sysconf("SC_CLK_TCK"))
    except ValueError:
        complete = False
    meminfo = parse_meminfo(_read(procfs / "meminfo") or "")
    complete = complete and "MemTotal" in meminfo
    loadavg = _read(procfs / "loadavg")
    load = None
    with contextlib.suppress(ValueError):
        load = parse_loadavg(loadavg) if loadavg else None
    complete = complete and load is not None
    pressure = []
    for resource in ("cpu", "memory", "io"):
        text = _read(procfs / "pressure" / resource)
        for kind, seconds in sorted(parse_pressure(text or "").items()):
            pressure.append((resource, kind, seconds))
    mounts = _read(procfs / "1" / "mounts") or _read(procfs / "mounts") or ""
    filesystems = []
    for device, mountpoint, fstype in parse_mounts(mounts):
        try:
            st = statvfs(str(rootfs / mountpoint.lstrip("/")))
        except OSError:
            continue  # vanished or not ours: node_exporter marks device_error; we skip
        filesystems.append(Filesystem(device, mountpoint, fstype,
                                      float(st.f_blocks * st.f_frsize),
                                      float(st.f_bavail * st.f_frsize)))
    return NodeStats(cpu_seconds=cpu, memory_total_bytes=meminfo.get("MemTotal"),
                     memory_available_bytes=meminfo.get("MemAvailable"), load=load,
                     filesystems=tuple(filesystems), pressure=tuple(pressure),
                     complete=complete)
