"""Record a run into a node_exporter textfile-collector file, safely under concurrency.

All jobs of a host share one file (`naming.TEXTFILE_NAME`), so two runs finishing together,
of the same job or of different ones, must not lose each other's counts. Each update holds an
exclusive `flock` on a sibling lock file for the whole read-modify-write, writes a temp file
in the same directory, fsyncs it and renames it over the old one: node_exporter, which does
not take the lock, only ever sees a complete old or a complete new file. The lock and temp
names do not end in `.prom`, so the collector never reads them. Waiting for the lock is
bounded; an unreadable old file is kept aside as `*.corrupt` and counting restarts at zero
(a counter reset, which `rate()` handles).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from exporter.jobs import naming as n
from exporter.jobs.state import JobState, Outcome, ParseError, apply, parse, render

LOCK_WAIT = 30.0


class TextfileError(OSError):
    """The file could not be locked, read or written; the message names the path only."""


@contextlib.contextmanager
def _locked(lock_path: Path, wait: float) -> Iterator[None]:
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise TextfileError(f"{lock_path}: still locked after {wait:g}s") from None
                time.sleep(0.02)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def _write_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o644)  # node_exporter often runs as another user
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _read(path: Path) -> tuple[JobState, str | None]:
    """The recorded state, and a warning when the old file had to be set aside."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return JobState(), None
    try:
        return parse(text), None
    except ParseError:
        aside = path.with_name(path.name + ".corrupt")
        os.replace(path, aside)
        return JobState(), f"{path} was not valid exposition; kept as {aside.name}, counts reset"


def record(directory: Path, outcome: Outcome, lock_wait: float = LOCK_WAIT,
           name: str = n.TEXTFILE_NAME) -> str | None:
    """Add `outcome` to the shared file; returns a warning for the log, if any."""
    path = directory / name
    try:
        with _locked(directory / f".{name}.lock", lock_wait):
            state, warning = _read(path)
            _write_atomic(path, render(apply(state, outcome)))
    except TextfileError:
        raise
    except OSError as exc:
        raise TextfileError(f"{path}: {exc.strerror or exc}") from None
    return warning
