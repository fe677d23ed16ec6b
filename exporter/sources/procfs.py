"""Read the process table from procfs under an injectable root (`--path.procfs`).

Conventions: parsers are pure functions of file contents; only `read_processes` touches the
file system, and it runs in the host sampler's worker thread, never on the event loop. A
process that exits while being read is skipped, not an error. A kernel is recognised by an
argv element whose base name is `kernel-<uuid>.json` (jupyter_client names the connection
file after the kernel id). The connection file itself is never opened: it holds the kernel's
signing key.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from exporter.model import ProcInfo

_KERNEL_FILE = re.compile(
    r"^kernel-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.json$")
MAX_PROCESSES = 100_000
MAX_CMDLINE = 64 * 1024


def kernel_id_from_cmdline(raw: bytes) -> str | None:
    """The kernel id named by a NUL-separated command line, wherever the file appears in it
    (`-f PATH`, `--f=PATH`, IRkernel's trailing PATH)."""
    for arg in raw[:MAX_CMDLINE].split(b"\0"):
        text = arg.decode("utf-8", errors="replace").rsplit("=", 1)[-1]
        match = _KERNEL_FILE.match(os.path.basename(text))
        if match:
            return match.group(1)
    return None


def parse_stat(text: str) -> tuple[int, int, int, int, int]:
    """(ppid, utime, stime, cutime, cstime) in clock ticks from /proc/<pid>/stat.

    The command name (field 2) may hold spaces and parentheses, so fields are counted from
    the last `)`."""
    rest = text[text.rindex(")") + 2:].split()
    return int(rest[1]), int(rest[11]), int(rest[12]), int(rest[13]), int(rest[14])


def parse_statm_rss_pages(text: str) -> int:
    return int(text.split()[1])


def proc_info(pid: int, stat: str, statm: str, cmdline: bytes, page_size: int,
              clk_tck: int) -> ProcInfo:
    ppid, utime, stime, cutime, cstime = parse_stat(stat)
    return ProcInfo(pid=pid, ppid=ppid, cpu_seconds=(utime + stime + cutime + cstime) / clk_tck,
                    rss_bytes=parse_statm_rss_pages(statm) * page_size,
                    kernel_id=kernel_id_from_cmdline(cmdline))


def read_processes(procfs: Path, page_size: int | None = None,
                   clk_tck: int | None = None) -> tuple[ProcInfo, ...]:
    page_size = page_size or os.sysconf("SC_PAGE_SIZE")
    clk_tck = clk_tck or os.sysconf("SC_CLK_TCK")
    out = []
    for entry in os.scandir(procfs):
        if not entry.name.isdigit():
            continue
        if len(out) >= MAX_PROCESSES:
            break
        base = Path(entry.path)
        try:
            stat = (base / "stat").read_text(encoding="utf-8", errors="replace")
            statm = (base / "statm").read_text(encoding="ascii")
            cmdline = (base / "cmdline").read_bytes()
            out.append(proc_info(int(entry.name), stat, statm, cmdline, page_size, clk_tck))
        except (OSError, ValueError, IndexError):
            continue  # exited meanwhile, or not ours to read
    return tuple(out)
