"""Pure parsers for what a Jupyter Server sends: REST JSON, its /metrics text, events.

Everything from upstream is untrusted: wrong types, huge lists or forged events must give a
`BadPayload` (or a dropped event), never an exception elsewhere or unbounded memory. Lists
are capped at `MAX_ITEMS`; strings used in labels are capped and checked.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from exporter import naming
from exporter.model import Kernel, KernelEvent, RequestCounts, Session

MAX_ITEMS = 10_000
MAX_NAME = 128
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_SPEC_NAME = re.compile(r"^[A-Za-z0-9._-]{1,128}$")
_EVENT_ACTIONS = frozenset({"start", "restart", "shutdown", "interrupt"})


class BadPayload(ValueError):
    """The server answered, but not with what its API documents."""


def parse_time(value: Any) -> float | None:
    """ISO-8601 with `Z`, or the malformed `+00:00Z` jupyter_events writes; None if absent."""
    if not isinstance(value, str) or not value:
        return None
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1]
        if not re.search(r"[+-]\d\d:\d\d$", text):
            text += "+00:00"
    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        return None


def _list(payload: Any, what: str) -> list[Any]:
    if not isinstance(payload, list):
        raise BadPayload(f"{what}: expected a list")
    if len(payload) > MAX_ITEMS:
        raise BadPayload(f"{what}: more than {MAX_ITEMS} items")
    return payload


def _str(item: dict[str, Any], key: str, what: str) -> str:
    value = item.get(key)
    if not isinstance(value, str):
        raise BadPayload(f"{what}: {key} is not a string")
    return value


def parse_version(payload: Any) -> str:
    if not isinstance(payload, dict) or not isinstance(payload.get("version"), str):
        raise BadPayload("/api: no version")
    version = payload["version"]
    if not re.match(r"^[0-9A-Za-z.+-]{1,64}$", version):
        raise BadPayload("/api: malformed version")
    return version


def version_at_least(version: str, minimum: tuple[int, ...]) -> bool:
    numbers = [int(n) for n in re.findall(r"\d+", version)[: len(minimum)]]
    return tuple(numbers) >= minimum


def parse_status(payload: Any) -> tuple[float | None, float | None]:
    """(started, last_activity) from /api/status."""
    if not isinstance(payload, dict):
        raise BadPayload("/api/status: expected an object")
    return parse_time(payload.get("started")), parse_time(payload.get("last_activity"))


def parse_kernel(item: Any) -> Kernel:
    if not isinstance(item, dict):
        raise BadPayload("kernel: expected an object")
    kid, name = _str(item, "id", "kernel"), _str(item, "name", "kernel")
    if not _UUID.match(kid) or not _SPEC_NAME.match(name):
        raise BadPayload("kernel: malformed id or name")
    state = item.get("execution_state")
    state = state if state in naming.EXECUTION_STATES else "unknown"
    connections = item.get("connections", 0)
    if not isinstance(connections, int | float) or isinstance(connections, bool):
        raise BadPayload("kernel: connections is not a number")
    # Observed: a client killed mid-handshake can leave the server's count at -1; one odd
    # field must not make the whole server look down, so clamp instead of refusing.
    connections = max(0, int(connections)) if math.isfinite(connections) else 0
    return Kernel(kid, name, state, connections, parse_time(item.get("last_activity")))


def parse_kernels(payload: Any) -> tuple[Kernel, ...]:
    return tuple(parse_kernel(item) for item in _list(payload, "/api/kernels"))


def parse_sessions(payload: Any) -> tuple[Session, ...]:
    sessions = []
    for item in _list(payload, "/api/sessions"):
        if not isinstance(item, dict):
            raise BadPayload("session: expected an object")
        kernel = item.get("kernel")
        kernel_id = kernel.get("id") if isinstance(kernel, dict) else None
        path = item.get("path")
        sessions.append(Session(_str(item, "id", "session"),
                                path if isinstance(path, str) else "",
                                kernel_id if isinstance(kernel_id, str) else None))
    return tuple(sessions)


def parse_terminals(payload: Any) -> int:
    return len(_list(payload, "/api/terminals"))


def parse_kernelspecs(payload: Any) -> frozenset[str]:
    specs = payload.get("kernelspecs") if isinstance(payload, dict) else None
    if not isinstance(specs, dict) or len(specs) > 1000:
        raise BadPayload("/api/kernelspecs: expected an object of specs")
    return frozenset(name for name in specs if isinstance(name, str) and _SPEC_NAME.match(name))


def _status_class(code: str) -> int:
    return int(code[0]) if code[:1].isdigit() else 0


def request_counts(samples: Iterable[tuple[str, dict[str, str], float]]) -> RequestCounts:
    """Sum the request-histogram counts the crash and save accounting need."""
    restarts = ok = failed = auth = deletes = 0.0
    for name, labels, value in samples:
        if name != naming.JS_REQUEST_DURATION_COUNT or not math.isfinite(value):
            continue
        handler, method = labels.get("handler", ""), labels.get("method", "")
        code = labels.get("status_code", "")
        if code in ("401", "403"):
            auth += value
        if handler == naming.JS_HANDLER_KERNEL_ACTION and method == "POST" and code == "200":
            restarts += value
        elif handler == naming.JS_HANDLER_CONTENTS and method == "PUT":
            ok += value if _status_class(code) == 2 else 0.0
            failed += value if _status_class(code) == 5 else 0.0
        elif (handler in (naming.JS_HANDLER_KERNEL, naming.JS_HANDLER_SESSION)
              and method == "DELETE" and _status_class(code) == 2):
            deletes += value
    return RequestCounts(restarts, ok, failed, auth, deletes)


def parse_server_metrics(text: str) -> RequestCounts:
    """Request counts from a server's /metrics. Only the request histogram's `_count` lines
    are handed to the Prometheus parser: a real server's page is mostly buckets, process and
    GC series (hundreds of lines), and parsing all of them cost milliseconds per poll."""
    name = naming.JS_REQUEST_DURATION_COUNT
    wanted = "\n".join(line for line in text.splitlines()
                       if line.startswith(name) and line[len(name):len(name) + 1] in ("{", " "))
    try:
        samples = [(s.name, s.labels, s.value)
                   for family in text_string_to_metric_families(wanted)
                   for s in family.samples]
    except (ValueError, TypeError, IndexError) as exc:
        raise BadPayload("/metrics: not Prometheus text") from exc
    if not any(name == naming.JS_REQUEST_DURATION_COUNT for name, _, _ in samples):
        raise BadPayload("/metrics: no request metrics (record_http_request_metrics off?)")
    return request_counts(samples)


def parse_event(payload: Any, received: float) -> KernelEvent | None:
    """A kernel_actions event, or None for anything else (other schemas, forged shapes)."""
    if not isinstance(payload, dict) or payload.get("schema_id") != naming.KERNEL_ACTIONS_SCHEMA:
        return None
    action, status = payload.get("action"), payload.get("status", "success")
    kid, name = payload.get("kernel_id"), payload.get("kernel_name")
    if action not in _EVENT_ACTIONS or status not in ("success", "error"):
        return None
    if not isinstance(kid, str) or not _UUID.match(kid):
        return None
    if not isinstance(name, str) or not _SPEC_NAME.match(name):
        name = ""
    return KernelEvent(action, status, kid, name, received)
