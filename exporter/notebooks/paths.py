"""Which paths from contents save events may be looked up (pure).

The event stream is user-controllable (research/jupyter.md §3.3 (c)): anyone with the events
permission can POST a `save` event naming any path. A path is looked up only when it is a
plain relative API path inside the server root: no empty, `.` or `..` segment, no leading
`/` or `~`, no drive letter, no backslash, no control character, at most `MAX_PATH`
characters, and a `.ipynb` name. Real save events carry exactly that form (the contents
manager strips slashes before it emits). The server is still the judge of existence: a path
that passes here is fetched with `content=0` first, and a 404 ends it.
"""

from __future__ import annotations

import re
from typing import Any

from exporter import naming
from exporter.config import PROBE_DIR

MAX_PATH = 1024
NOTEBOOK_SUFFIX = ".ipynb"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_DRIVE = re.compile(r"^[A-Za-z]:")


def safe_path(path: Any) -> str | None:
    """`path` if it is a safe relative notebook path, else None."""
    if not isinstance(path, str) or not 0 < len(path) <= MAX_PATH:
        return None
    if path.startswith(("/", "~")) or _DRIVE.match(path) or "\\" in path:
        return None
    if _CONTROL.search(path):
        return None
    parts = path.split("/")
    if any(part in ("", ".", "..") for part in parts):
        return None
    if parts[0] == PROBE_DIR or not path.endswith(NOTEBOOK_SUFFIX):
        return None
    return path


def is_save_event(payload: Any) -> bool:
    """A contents_service `save` event, whatever its path."""
    return (isinstance(payload, dict) and payload.get("schema_id") == naming.CONTENTS_SCHEMA
            and payload.get("action") == "save")


def save_event_path(payload: Any) -> str | None:
    """The path a save event names, if it may be looked up."""
    return safe_path(payload.get("path")) if is_save_event(payload) else None
