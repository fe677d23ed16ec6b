"""`jupyter-slo chaos`: crash or restart a server's kernels at a fixed, bounded rate.

`kill-kernels` SIGKILLs local kernel processes, the one thing the REST API cannot do and the
thing the crash SLI exists for: the server's auto-restarter then restarts the kernel, and the
exporter counts one `restart` crash per kill. `restart-kernels` uses `POST .../restart`, a
user restart, which the crash SLI must *not* count. Both tick at `rate` per second for
`duration`: tick i happens at start + i/rate, so a run makes at most ceil(duration*rate)
actions (and never more than `max_actions`). Each tick picks, among the server's kernels
(optionally one kernelspec; never the exporter's probe kernels), the one acted on least
recently, so a kernel gets time to come back before it is hit again. A tick with nothing to
act on is counted as skipped, not retried.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TextIO

import aiohttp

from exporter.config import PROBE_DIR
from exporter.gameday import kernels, procs
from exporter.gameday.target import Target

MAX_RATE = 10.0


@dataclass(frozen=True, slots=True)
class ChaosSpec:
    action: str  # "kill" | "restart"
    rate: float
    duration: float
    kernel_name: str | None = None
    max_actions: int = 1000


@dataclass
class ChaosResult:
    done: int = 0
    skipped: int = 0
    errors: int = 0
    hits: dict[str, int] = field(default_factory=dict)  # kernel id -> actions

    def summary(self) -> dict[str, Any]:
        return {"actions": self.done, "skipped": self.skipped, "errors": self.errors,
                "kernels_hit": len(self.hits)}


def planned(spec: ChaosSpec) -> int:
    return min(spec.max_actions, math.ceil(spec.duration * spec.rate - 1e-9))


async def _probe_kernel_ids(http: aiohttp.ClientSession, target: Target) -> set[str]:
    sessions = await kernels.call(http, target, "GET", "api/sessions")
    out = set()
    for s in sessions if isinstance(sessions, list) else ():
        path = s.get("path") if isinstance(s, dict) else None
        kernel = s.get("kernel") if isinstance(s, dict) else None
        if isinstance(path, str) and path.startswith(f"{PROBE_DIR}/") and isinstance(kernel, dict):
            out.add(str(kernel.get("id")))
    return out


async def _candidates(http: aiohttp.ClientSession, target: Target,
                      spec: ChaosSpec) -> list[str]:
    models = await kernels.list_kernels(http, target)
    probes = await _probe_kernel_ids(http, target)
    return [m["id"] for m in models
            if m["id"] not in probes and (spec.kernel_name is None
                                          or m.get("name") == spec.kernel_name)]


def _kill(kernel_id: str) -> bool:
    """SIGKILL the kernel's local processes; False if none was found or could be killed."""
    killed = False
    for pid in procs.kernel_processes().get(kernel_id, ()):
        try:
            os.kill(pid, signal.SIGKILL)
            killed = True
        except (ProcessLookupError, PermissionError):
            continue
    return killed


async def _act(http: aiohttp.ClientSession, target: Target, spec: ChaosSpec,
               result: ChaosResult, log: Callable[[str], None]) -> None:
    ids = await _candidates(http, target, spec)
    if spec.action == "kill":
        live = procs.kernel_processes()
        ids = [k for k in ids if k in live]
    if not ids:
        result.skipped += 1
        log("no kernel to act on; tick skipped")
        return
    kernel_id = min(ids, key=lambda k: (result.hits.get(k, 0), k))
    if spec.action == "kill":
        ok = await asyncio.to_thread(_kill, kernel_id)
    else:
        try:
            await kernels.call(http, target, "POST", f"api/kernels/{kernel_id}/restart")
            ok = True
        except kernels.ApiError:
            ok = False
    if ok:
        result.done += 1
        result.hits[kernel_id] = result.hits.get(kernel_id, 0) + 1
        log(f"{spec.action} kernel {kernel_id}")
    else:
        result.errors += 1
        log(f"{spec.action} kernel {kernel_id} failed")


async def run_chaos(spec: ChaosSpec, target: Target, out: TextIO = sys.stderr,
                    on_stop: Callable[[int], None] = lambda _: None) -> ChaosResult:
    result = ChaosResult()
    start = time.monotonic()

    def log(line: str) -> None:
        out.write(f"[{time.monotonic() - start:6.2f}s] {line}\n")
        out.flush()

    loop = asyncio.get_running_loop()
    stopped = asyncio.Event()

    def stop(signum: int) -> None:
        on_stop(signum)
        stopped.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop, sig)
    try:
        async with aiohttp.ClientSession() as http:
            for tick in range(planned(spec)):
                delay = start + tick / spec.rate - time.monotonic()
                if delay > 0:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stopped.wait(), delay)
                if stopped.is_set():
                    break
                try:
                    await _act(http, target, spec, result, log)
                except kernels.ApiError as exc:
                    result.errors += 1
                    log(f"tick failed: {exc}")
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
    return result
