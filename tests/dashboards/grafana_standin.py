"""A stand-in for Grafana's dashboard HTTP API, on 127.0.0.1 and a free port, in a thread.

It follows what `jupyter-slo dashboards push` relies on in Grafana's API
(https://grafana.com/docs/grafana/latest/developers/http_api/dashboard/):
- every request needs `Authorization: Bearer <token>`, else 401 `{"message": ...}`;
- `GET /api/dashboards/uid/<uid>`: 200 `{"dashboard", "meta"}` (the stored JSON with `id`,
  `uid`, `version` set) or 404;
- `POST /api/dashboards/db` `{"dashboard", "overwrite", "folderUid"?, "message"?}`: saves by
  uid, bumping `version`; without `overwrite`, a dashboard whose `version` differs from the
  stored one is refused with 412 `{"status": "version-mismatch"}`; no title is a 400.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Stored:
    dashboard: dict[str, Any]
    id: int
    version: int
    folder_uid: str = ""


@dataclass
class GrafanaState:
    token: str
    dashboards: dict[str, Stored] = field(default_factory=dict)
    requests: list[tuple[str, str, str]] = field(default_factory=list)  # method, path, auth
    posts: list[dict[str, Any]] = field(default_factory=list)
    fail_with: int | None = None  # answer every POST with this status (500, say)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def edit_in_ui(self, uid: str, **changes: Any) -> None:
        """What a person saving in Grafana's UI does: new content, next version."""
        with self.lock:
            stored = self.dashboards[uid]
            stored.dashboard = {**stored.dashboard, **changes}
            stored.version += 1


def _handler(state: GrafanaState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # keep test output quiet
            pass

        def _send(self, status: int, body: Any) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _authorised(self) -> bool:
            auth = self.headers.get("Authorization", "")
            state.requests.append((self.command, self.path, auth))
            if auth != f"Bearer {state.token}":
                self._send(401, {"message": "Unauthorized"})
                return False
            return True

        def do_GET(self) -> None:
            if not self._authorised():
                return
            prefix = "/api/dashboards/uid/"
            if not self.path.startswith(prefix):
                self._send(404, {"message": "Not found"})
                return
            with state.lock:
                stored = state.dashboards.get(self.path[len(prefix):])
                if stored is None:
                    self._send(404, {"message": "Dashboard not found"})
                    return
                body = {**stored.dashboard, "id": stored.id, "version": stored.version}
                uid = body["uid"]
                self._send(200, {"dashboard": body, "meta": {
                    "folderUid": stored.folder_uid, "url": f"/d/{uid}/x",
                    "version": stored.version}})

        def do_POST(self) -> None:
            if not self._authorised():
                return
            if self.path != "/api/dashboards/db":
                self._send(404, {"message": "Not found"})
                return
            length = int(self.headers.get("Content-Length", "0"))
            try:
                body = json.loads(self.rfile.read(length))
            except ValueError:
                self._send(400, {"message": "bad request data"})
                return
            state.posts.append(body)
            if state.fail_with:
                self._send(state.fail_with, {"message": "Internal Server Error"})
                return
            dashboard = dict(body.get("dashboard") or {})
            if not dashboard.get("title"):
                self._send(400, {"message": "Dashboard title cannot be empty",
                                 "status": "empty-name"})
                return
            with state.lock:
                uid = dashboard.get("uid") or f"gen{len(state.dashboards)}"
                existing = state.dashboards.get(uid)
                if existing and not body.get("overwrite") and \
                        dashboard.get("version") != existing.version:
                    self._send(412, {"message": "The dashboard has been changed by someone "
                                                "else", "status": "version-mismatch"})
                    return
                version = existing.version + 1 if existing else 1
                ident = existing.id if existing else len(state.dashboards) + 1
                dashboard = {k: v for k, v in dashboard.items() if k not in ("id", "version")}
                dashboard["uid"] = uid
                state.dashboards[uid] = Stored(dashboard, ident, version,
                                               body.get("folderUid", ""))
            self._send(200, {"id": ident, "uid": uid, "url": f"/d/{uid}/x",
                             "status": "success", "version": version, "slug": "x"})

    return Handler


class GrafanaStandIn:
    def __init__(self, token: str) -> None:
        self.state = GrafanaState(token)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self.state))
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> GrafanaStandIn:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)
