"""Which processes belong to which kernel: pure functions over a process table.

A kernel's tree is its root process (the topmost process whose command line names the
kernel's connection file) and every descendant of it (`!python train.py`, DataLoader
workers, ...). A child that daemonises away to init is lost; that is the documented limit.
Walks are bounded by the table's size and a depth cap, so a cyclic or corrupt table (a PID
reused mid-read) cannot loop.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping

from exporter.model import KernelUsage, ProcInfo

MAX_DEPTH = 64


def by_pid(procs: Iterable[ProcInfo]) -> dict[int, ProcInfo]:
    return {p.pid: p for p in procs}


def kernel_of(pid: int, table: Mapping[int, ProcInfo]) -> str | None:
    """The kernel a process belongs to: the nearest ancestor-or-self naming a kernel."""
    seen: set[int] = set()
    proc = table.get(pid)
    while proc is not None and proc.pid not in seen and len(seen) < MAX_DEPTH:
        if proc.kernel_id is not None:
            return proc.kernel_id
        seen.add(proc.pid)
        proc = table.get(proc.ppid)
    return None


def kernel_usage(procs: Iterable[ProcInfo]) -> tuple[KernelUsage, ...]:
    table = by_pid(procs)
    children: dict[int, list[int]] = defaultdict(list)
    for proc in table.values():
        if proc.ppid != proc.pid:
            children[proc.ppid].append(proc.pid)
    roots = [p for p in table.values() if p.kernel_id is not None
             and kernel_of(p.ppid, table) != p.kernel_id]
    out = []
    for root in sorted(roots, key=lambda p: p.pid):
        members: set[int] = set()
        stack = [root.pid]
        while stack and len(members) < len(table):
            pid = stack.pop()
            if pid in members:
                continue
            members.add(pid)
            stack.extend(children.get(pid, ()))
        out.append(KernelUsage(
            kernel_id=root.kernel_id or "", pids=frozenset(members),
            rss_bytes=sum(table[p].rss_bytes for p in members),
            cpu_seconds=sum(table[p].cpu_seconds for p in members)))
    return _merge(out)


def _merge(usages: list[KernelUsage]) -> tuple[KernelUsage, ...]:
    """Two roots for one kernel (a restart caught mid-way): one row, summed."""
    merged: dict[str, KernelUsage] = {}
    for u in usages:
        if u.kernel_id in merged:
            m = merged[u.kernel_id]
            u = KernelUsage(u.kernel_id, m.rss_bytes + u.rss_bytes,
                            m.cpu_seconds + u.cpu_seconds, m.pids | u.pids)
        merged[u.kernel_id] = u
    return tuple(merged[k] for k in sorted(merged))
