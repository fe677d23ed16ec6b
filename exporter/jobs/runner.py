"""Run one job command and report its exit code the way a shell would.

Conventions: the command runs in its own process group, so a timeout or a forwarded signal
reaches everything it started (papermill's kernel included), not just the top process.
Exit codes: the command's own; 128+N when a signal N ended it (what `$?` shows in a shell);
124 on `--timeout`, as coreutils `timeout` reports; 127 when the command does not exist and
126 when it cannot be executed. SIGTERM, SIGINT and SIGHUP sent to the wrapper are passed on
to the group, so a scheduler stopping the wrapper stops the job and the run counts as failed.
A group that ignores SIGTERM is SIGKILLed `grace` seconds later. No loop here waits longer
than the timeout plus twice the grace.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from types import FrameType

EXIT_TIMEOUT = 124
EXIT_CANNOT_EXECUTE = 126
EXIT_NOT_FOUND = 127
FORWARDED = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
_TICK = 0.05


@dataclass(frozen=True, slots=True)
class Finished:
    exit_code: int
    duration: float
    reason: str  # "" | "exit" | "signal" | "timeout" | "stopped" | "not_found" | ...


def shell_code(returncode: int) -> int:
    return 128 - returncode if returncode < 0 else returncode


def _killpg(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):  # the group is gone
        os.killpg(pgid, sig)


def run(argv: Sequence[str], timeout: float | None = None, grace: float = 10.0) -> Finished:
    start = time.monotonic()
    try:
        proc = subprocess.Popen(list(argv), start_new_session=True)
    except FileNotFoundError:
        return Finished(EXIT_NOT_FOUND, time.monotonic() - start, "not_found")
    except PermissionError:
        return Finished(EXIT_CANNOT_EXECUTE, time.monotonic() - start, "cannot_execute")
    received: list[int] = []

    def forward(signum: int, _frame: FrameType | None) -> None:
        received.append(signum)
        _killpg(proc.pid, signum)

    previous = {sig: signal.signal(sig, forward) for sig in FORWARDED}
    try:
        return _wait(proc, start, timeout, grace, received)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _wait(proc: subprocess.Popen[bytes], start: float, timeout: float | None, grace: float,
          received: list[int]) -> Finished:
    deadline = None if timeout is None else start + timeout
    timed_out = False
    kill_at: float | None = None
    give_up: float | None = None
    while True:
        try:
            rc = proc.wait(timeout=_TICK)
            break
        except subprocess.TimeoutExpired:
            pass
        now = time.monotonic()
        if deadline is not None and now >= deadline and not timed_out:
            timed_out = True
            _killpg(proc.pid, signal.SIGTERM)
            kill_at = now + grace
        if received and kill_at is None:
            kill_at = now + grace
        if kill_at is not None and now >= kill_at and give_up is None:
            _killpg(proc.pid, signal.SIGKILL)
            give_up = now + grace
        if give_up is not None and now >= give_up:  # unkillable (D state): report, move on
            return Finished(EXIT_TIMEOUT if timed_out else 128 + signal.SIGKILL,
                            now - start, "unreaped")
    duration = time.monotonic() - start
    if timed_out:
        return Finished(EXIT_TIMEOUT, duration, "timeout")
    if received:
        return Finished(shell_code(rc) or 128 + received[0], duration, "stopped")
    return Finished(shell_code(rc), duration, "signal" if rc < 0 else "exit")
