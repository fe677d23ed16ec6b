"""Upload generated dashboards to Grafana over its HTTP API, for teams that do not provision
from files.

Idempotent: each dashboard is read back by UID first; an identical one is left alone (no new
version in Grafana's history), anything else is saved with `overwrite` so the UID's dashboard
becomes ours. `overwrite=False` instead refuses to replace a dashboard that exists and
differs: Grafana answers 412 and the dashboard is reported, not clobbered.
Errors are values (`PushError` with an exit code), never tracebacks; the token only ever
travels in the Authorization header and appears in no message.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2
VOLATILE_KEYS = ("id", "version")


class PushError(Exception):
    """Something the user must fix; `code` is the exit status (1 refused, 2 usage or I/O)."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Outcome:
    uid: str
    title: str
    action: str  # "created" | "updated" | "unchanged"
    url: str


@dataclass(frozen=True)
class Grafana:
    base_url: str
    token: str
    timeout: float = 10.0

    def _request(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        try:
            response = requests.request(
                method, self.base_url.rstrip("/") + path, json=body, timeout=self.timeout,
                headers={"Authorization": f"Bearer {self.token}", "Accept": "application/json"})
        except requests.RequestException as exc:
            raise PushError(f"cannot reach Grafana at {self.base_url}: "
                            f"{type(exc).__name__}", EXIT_USAGE) from None
        try:
            payload = response.json()
        except ValueError:
            payload = {"message": response.text[:200]}
        if response.status_code in (401, 403):
            raise PushError(f"Grafana refused the token ({response.status_code} "
                            f"{_message(payload)}): check --grafana-token-file or "
                            "GRAFANA_TOKEN and the token's role (Editor or above)", EXIT_USAGE)
        return response.status_code, payload

    def get(self, uid: str) -> Mapping[str, Any] | None:
        status, payload = self._request("GET", f"/api/dashboards/uid/{uid}")
        if status == 404:
            return None
        if status != 200:
            raise PushError(f"reading dashboard {uid}: {status} {_message(payload)}",
                            EXIT_REFUSED)
        return payload

    def save(self, dashboard: Mapping[str, Any], *, overwrite: bool,
             folder_uid: str | None) -> Mapping[str, Any]:
        body: dict[str, Any] = {"dashboard": dict(dashboard), "overwrite": overwrite,
                                "message": "pushed by jupyter-slo"}
        if overwrite:
            body["dashboard"] = {k: v for k, v in dashboard.items() if k not in VOLATILE_KEYS}
        if folder_uid:
            body["folderUid"] = folder_uid
        status, payload = self._request("POST", "/api/dashboards/db", body)
        if status == 412:
            raise PushError(f"version conflict ({payload.get('status', 'precondition failed')}"
                            f"): {_message(payload)}; the dashboard in Grafana differs from "
                            "this one: push without --no-overwrite to replace it",
                            EXIT_REFUSED)
        if status != 200:
            raise PushError(f"Grafana refused it ({status} {_message(payload)})", EXIT_REFUSED)
        return payload


def _message(payload: Any) -> str:
    if isinstance(payload, Mapping):
        return str(payload.get("message", "")).strip() or "no message"
    return "no message"


def comparable(dashboard: Mapping[str, Any]) -> dict[str, Any]:
    """A dashboard without what Grafana assigns on save (`id`, `version`)."""
    return {k: v for k, v in dashboard.items() if k not in VOLATILE_KEYS}


def load_dir(directory: Path) -> list[tuple[Path, dict[str, Any]]]:
    """Every `*.json` in `directory` (not recursive), sorted; each must carry a uid."""
    if not directory.is_dir():
        raise PushError(f"{directory}: not a directory", EXIT_USAGE)
    files = sorted(directory.glob("*.json"))
    if not files:
        raise PushError(f"{directory}: no dashboard files (*.json)", EXIT_USAGE)
    out = []
    for path in files:
        try:
            dashboard = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise PushError(f"{path}: {exc.strerror}", EXIT_USAGE) from None
        except ValueError as exc:
            raise PushError(f"{path}: not JSON ({exc})", EXIT_REFUSED) from None
        if not isinstance(dashboard, dict) or not dashboard.get("uid"):
            raise PushError(f"{path}: not a dashboard with a uid", EXIT_REFUSED)
        out.append((path, dashboard))
    return out


def push_one(grafana: Grafana, dashboard: Mapping[str, Any], *, overwrite: bool = True,
             folder_uid: str | None = None) -> Outcome:
    uid, title = str(dashboard["uid"]), str(dashboard.get("title", ""))
    existing = grafana.get(uid)
    if existing is not None:
        same_folder = folder_uid is None or \
            existing.get("meta", {}).get("folderUid", "") == folder_uid
        if same_folder and comparable(existing.get("dashboard", {})) == comparable(dashboard):
            return Outcome(uid, title, "unchanged", str(existing.get("meta", {}).get("url", "")))
    saved = grafana.save(dashboard, overwrite=overwrite, folder_uid=folder_uid)
    return Outcome(uid, title, "created" if existing is None else "updated",
                   str(saved.get("url", "")))
