"""Find local Jupyter Servers the way `jupyter server list` does: `jpserver-*.json` files.

The runtime directory follows jupyter_core's rule (JUPYTER_RUNTIME_DIR, else
JUPYTER_DATA_DIR/runtime, else XDG_DATA_HOME/jupyter/runtime, else
~/.local/share/jupyter/runtime), reimplemented so the exporter does not need jupyter_core.
Unlike `jupyter server list` this never deletes stale files: the exporter only reads.
Tokens found in the files go into `Secret`s and are never logged. Only loopback servers are
accepted: a runtime file is local state, and a token must not be sent anywhere else.
"""

from __future__ import annotations

import ipaddress
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from exporter.config import ConfigError, Secret, Target, default_target_name, normalise_url

MAX_FILES = 256
MAX_FILE_BYTES = 64 * 1024


def runtime_dir(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    if env.get("JUPYTER_RUNTIME_DIR"):
        return Path(env["JUPYTER_RUNTIME_DIR"])
    if env.get("JUPYTER_DATA_DIR"):
        return Path(env["JUPYTER_DATA_DIR"]) / "runtime"
    xdg = env.get("XDG_DATA_HOME") or str(Path(env.get("HOME", "~")).expanduser()
                                          / ".local" / "share")
    return Path(xdg) / "jupyter" / "runtime"


def _pid_alive(pid: Any) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def target_from_info(info: Mapping[str, Any]) -> Target | None:
    """A server info dict (jpserver-*.json) to a Target; None when unusable or not local."""
    url = info.get("url")
    if not isinstance(url, str) or not _pid_alive(info.get("pid")):
        return None
    base = info.get("base_url")
    if isinstance(base, str) and base.strip("/") and not urlsplit(url).path.strip("/"):
        url = url.rstrip("/") + "/" + base.strip("/") + "/"
    try:
        normalised = normalise_url(url)
    except ConfigError:
        return None
    if not _is_loopback(normalised):
        return None
    token = info.get("token")
    secret = Secret(token) if isinstance(token, str) and token else None
    return Target(name=default_target_name(normalised), url=normalised, token=secret)


def discover(directory: Path) -> tuple[Target, ...]:
    """Targets for the live servers in `directory`, sorted by name, duplicates dropped."""
    if not directory.is_dir():
        return ()
    found: dict[str, Target] = {}
    for path in sorted(directory.glob("jpserver-*.json"))[:MAX_FILES]:
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                continue
            info = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # a file being written, or not ours to judge
        target = target_from_info(info) if isinstance(info, dict) else None
        if target is not None:
            found.setdefault(target.name, target)
    return tuple(found[name] for name in sorted(found))
