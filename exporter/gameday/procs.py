"""Local kernel processes by kernel id, read from /proc command lines.

A kernel process is recognised by an argv element whose base name is `kernel-<id>.json`
(`exporter.sources.procfs.kernel_id_from_cmdline`). The connection file itself is never
opened: it holds the kernel's signing key. The scan is bounded by `MAX_PROCESSES`; a process
that exits while being read is skipped.
"""

from __future__ import annotations

import os
from collections import defaultdict
from pathlib import Path

from exporter.sources.procfs import kernel_id_from_cmdline

MAX_PROCESSES = 100_000


def kernel_processes(procfs: Path = Path("/proc")) -> dict[str, list[int]]:
    found: dict[str, list[int]] = defaultdict(list)
    for seen, entry in enumerate(os.scandir(procfs)):
        if seen >= MAX_PROCESSES:
            break
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (Path(entry.path) / "cmdline").read_bytes()
        except OSError:
            continue
        kernel_id = kernel_id_from_cmdline(cmdline)
        if kernel_id is not None:
            found[kernel_id].append(int(entry.name))
    return dict(found)
