"""A real JupyterHub for tests: jupyterhub (pip) with configurable-http-proxy (npm), the
DummyAuthenticator and SimpleLocalProcessSpawner running real single-user servers on
loopback. Tokens live in the config file and the environment, never on a command line; the
Hub and everything it spawned are stopped by PID (the Hub stops its proxy and servers)."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.exporter.servers import free_port, wait_until

CHP = shutil.which("configurable-http-proxy")


@dataclass
class Hub:
    base: Path
    proxy_port: int
    hub_port: int
    api_port: int
    exporter_token: str
    admin_token: str
    proxy_token: str
    proc: subprocess.Popen[bytes] | None = None

    @property
    def hub_url(self) -> str:
        return f"http://127.0.0.1:{self.hub_port}/"

    @property
    def proxy_api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}/"

    @property
    def public_url(self) -> str:
        return f"http://127.0.0.1:{self.proxy_port}/"

    def request(self, method: str, url: str, body: Any = None, token: str | None = None
                ) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(url, data=data, method=method)
        req.add_header("Authorization", f"token {token or self.admin_token}")
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                raw = resp.read()
                return resp.status, json.loads(raw) if raw.strip() else None
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode(errors="replace")

    def api(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        return self.request(method, f"{self.hub_url}hub/api/{path}", body)

    def server_model(self, user: str, name: str = "") -> dict[str, Any] | None:
        status, model = self.api("GET", f"users/{user}")
        return model["servers"].get(name) if status == 200 else None

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "JPY"))}
        env["CONFIGPROXY_AUTH_TOKEN"] = self.proxy_token
        log = (self.base / "hub.log").open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "jupyterhub", "-f", str(self.base / "jupyterhub_config.py")],
            cwd=self.base, env=env, stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL)
        wait_until(lambda: self.proc.poll() is None and self.api("GET", "users")[0] == 200,
                   60, f"JupyterHub (log {self.base / 'hub.log'})", 0.5)

    def spawn(self, user: str, name: str = "") -> None:
        path = f"users/{user}/servers/{name}" if name else f"users/{user}/server"
        status, body = self.api("POST", path)
        assert status in (201, 202), (status, body)

    def wait_ready(self, user: str, name: str = "", timeout: float = 90) -> None:
        wait_until(lambda: (self.server_model(user, name) or {}).get("ready"), timeout,
                   f"{user}/{name} ready (log {self.base / 'hub.log'})", 0.5)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)  # the Hub stops the servers and the proxy
        try:
            self.proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)


CONFIG = """
c = get_config()  # noqa
c.JupyterHub.bind_url = "http://127.0.0.1:{proxy_port}"
c.JupyterHub.hub_bind_url = "http://127.0.0.1:{hub_port}"
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{api_port}"
c.ConfigurableHTTPProxy.command = [{chp!r}]
c.JupyterHub.db_url = "sqlite:///{base}/hub.sqlite"
c.JupyterHub.cookie_secret_file = "{base}/cookie_secret"
c.JupyterHub.authenticator_class = "dummy"
c.Authenticator.allowed_users = {{"alice", "bob", "carol"}}
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = "{base}/home/{{username}}"
c.Spawner.cmd = [{singleuser!r}]
c.Spawner.args = ["--allow-root"]
c.Spawner.environment = {{"JUPYTERHUB_ACTIVITY_INTERVAL": "{activity}"}}
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
c.JupyterHub.allow_named_servers = True
c.JupyterHub.last_activity_interval = {activity}
c.JupyterHub.services = [
    {{"name": "exporter", "api_token": {exporter_token!r}}},
    {{"name": "tester", "api_token": {admin_token!r}}},
]
c.JupyterHub.load_roles = [
    {{"name": "exporter", "services": ["exporter"],
      "scopes": ["list:users", "read:users:activity", "read:servers", "access:servers"]}},
    {{"name": "tester", "services": ["tester"],
      "scopes": ["admin:users", "admin:servers", "servers", "access:servers", "list:users",
                 "read:users"]}},
]
"""


def make_hub(base: Path, activity_interval: int = 5) -> Hub:
    assert CHP, "configurable-http-proxy not on PATH (npm install -g configurable-http-proxy)"
    base.mkdir(parents=True, exist_ok=True)
    (base / "home").mkdir(exist_ok=True)
    hub = Hub(base, free_port(), free_port(), free_port(), secrets.token_hex(16),
              secrets.token_hex(16), secrets.token_hex(16))
    singleuser = str(Path(sys.executable).with_name("jupyterhub-singleuser"))
    (base / "jupyterhub_config.py").write_text(CONFIG.format(
        proxy_port=hub.proxy_port, hub_port=hub.hub_port, api_port=hub.api_port, chp=CHP,
        base=base, singleuser=singleuser, activity=activity_interval,
        exporter_token=hub.exporter_token, admin_token=hub.admin_token))
    (base / "jupyterhub_config.py").chmod(0o600)
    return hub
