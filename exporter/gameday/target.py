"""Where a game-day tool points: URL checks, the loopback rule and the token (pure + DNS).

Loopback means every address the host name resolves to is a loopback address, so a name
that resolves to both `127.0.0.1` and a public address is refused too.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from exporter.config import ConfigError, Secret, normalise_url


class TargetError(ValueError):
    """Unusable target flags; the CLI prints the message (never the token) and exits 2."""


@dataclass(frozen=True, slots=True)
class Target:
    url: str  # normalised, trailing slash
    token: Secret | None

    def api(self, path: str) -> str:
        return self.url + path.lstrip("/")

    def ws(self, path: str) -> str:
        return "ws" + self.api(path).removeprefix("http")

    @property
    def headers(self) -> dict[str, str]:
        headers = {"User-Agent": "jupyter-slo-gameday"}
        if self.token is not None:
            headers["Authorization"] = f"token {self.token.value}"
        return headers


def is_loopback_host(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except OSError:
        return False
    addresses = {info[4][0] for info in infos}
    return bool(addresses) and all(
        ipaddress.ip_address(a.split("%", 1)[0]).is_loopback for a in addresses)


def read_token(token_file: Path | None, env: dict[str, str]) -> Secret | None:
    if token_file is not None:
        try:
            value = token_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise TargetError(f"--token-file {token_file}: {exc.strerror or exc}") from None
        if not value:
            raise TargetError(f"--token-file {token_file}: empty")
        return Secret(value)
    value = env.get("JUPYTER_TOKEN", "").strip()
    return Secret(value) if value else None


def resolve(url: str, token_file: Path | None, allow_remote: bool,
            env: dict[str, str] | None = None) -> Target:
    try:
        normalised = normalise_url(url)
    except ConfigError as exc:
        raise TargetError(str(exc)) from None
    host = urlsplit(normalised).hostname or ""
    if not allow_remote and not is_loopback_host(host):
        raise TargetError(f"refusing non-loopback target {host!r}: game-day tools act on "
                          "real kernels; pass --allow-remote if that is really meant")
    return Target(normalised, read_token(token_file, dict(os.environ) if env is None else env))
