"""Writing generated files: all or nothing, each file atomically.

Every output is rendered in memory first; only when everything rendered are files written,
each through a temporary file in the same directory and a rename, so a reader (Prometheus
reloading its rules) never sees half a file and a failed run leaves earlier output untouched.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_all(outputs: dict[Path, str]) -> None:
    for path, text in outputs.items():
        write_atomic(path, text)
