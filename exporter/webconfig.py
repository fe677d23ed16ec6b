"""`--web.config.file`: TLS and basic auth in Prometheus exporter-toolkit's format.

Supported keys: `tls_server_config.cert_file`, `tls_server_config.key_file`,
`tls_server_config.client_ca_file` (client certificates then required), `min_version`, and
`basic_auth_users` (user -> bcrypt hash, as `htpasswd -B` or exporter-toolkit's docs make).
Unknown keys are refused, as exporter-toolkit does, so a typo never silently disables auth.
Relative file paths are resolved against the config file's folder. Password checks run
bcrypt off the event loop and cache successes by a SHA-256 of the pair, because bcrypt is
deliberately slow and Prometheus scrapes often.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import ssl
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import bcrypt
import yaml

from exporter.config import ConfigError

_TLS_KEYS = {"cert_file", "key_file", "client_ca_file", "min_version"}
_TOP_KEYS = {"tls_server_config", "basic_auth_users"}
_VERSIONS = {"TLS12": ssl.TLSVersion.TLSv1_2, "TLS13": ssl.TLSVersion.TLSv1_3}


@dataclass(frozen=True, slots=True)
class WebConfig:
    cert_file: Path | None = None
    key_file: Path | None = None
    client_ca_file: Path | None = None
    min_version: str = "TLS12"
    users: tuple[tuple[str, bytes], ...] = field(default=(), repr=False)

    @property
    def tls(self) -> bool:
        return self.cert_file is not None


def load(path: str) -> WebConfig:
    file = Path(path)
    try:
        raw = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read web config ({type(exc).__name__})") from None
    return parse(raw, file.parent, path)


def _mapping(value: Any, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: expected a mapping")
    return value


def parse(raw: Any, base: Path, where: str = "web config") -> WebConfig:
    top = _mapping(raw, where)
    if unknown := set(top) - _TOP_KEYS:
        raise ConfigError(f"{where}: unknown keys {sorted(unknown)}")
    tls = _mapping(top.get("tls_server_config"), f"{where}: tls_server_config")
    if unknown := set(tls) - _TLS_KEYS:
        raise ConfigError(f"{where}: unknown tls_server_config keys {sorted(unknown)}")
    cert, key = tls.get("cert_file"), tls.get("key_file")
    if bool(cert) != bool(key):
        raise ConfigError(f"{where}: cert_file and key_file go together")
    version = tls.get("min_version", "TLS12")
    if version not in _VERSIONS:
        raise ConfigError(f"{where}: min_version must be one of {sorted(_VERSIONS)}")
    users = []
    for user, hashed in _mapping(top.get("basic_auth_users"), f"{where}: basic_auth_users").items():
        if not isinstance(hashed, str) or not hashed.startswith(("$2a$", "$2b$", "$2y$")):
            raise ConfigError(f"{where}: user {user!r} needs a bcrypt hash")
        users.append((str(user), hashed.encode()))
    def resolve(name: Any) -> Path | None:
        return base / str(name) if name else None

    ca = tls.get("client_ca_file")
    return WebConfig(resolve(cert), resolve(key), resolve(ca), version, tuple(users))


def ssl_context(config: WebConfig) -> ssl.SSLContext | None:
    if not config.tls:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = _VERSIONS[config.min_version]
    try:
        context.load_cert_chain(str(config.cert_file), str(config.key_file))
        if config.client_ca_file is not None:
            context.load_verify_locations(str(config.client_ca_file))
            context.verify_mode = ssl.CERT_REQUIRED
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"TLS: cannot load certificate or key ({exc.__class__.__name__})") \
            from None
    return context


def parse_basic(header: str | None) -> tuple[str, str] | None:
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, sep, password = decoded.partition(":")
    return (user, password) if sep else None


class BasicAuth:
    """Checks credentials against the bcrypt table; caches recent successes."""

    def __init__(self, users: tuple[tuple[str, bytes], ...], cache_size: int = 64) -> None:
        self._users = dict(users)
        self._ok: OrderedDict[bytes, None] = OrderedDict()
        self._size = cache_size

    async def check(self, header: str | None) -> bool:
        creds = parse_basic(header)
        if creds is None:
            return False
        user, password = creds
        key = hashlib.sha256(f"{user}\0{password}".encode()).digest()
        if any(hmac.compare_digest(key, k) for k in self._ok):
            return True
        # An unknown user still pays one bcrypt, so timing does not reveal user names.
        hashed = self._users.get(user, b"$2b$10$" + b"." * 53)
        ok = await asyncio.to_thread(_checkpw, password.encode(), hashed)
        ok = ok and user in self._users
        if ok:
            self._ok[key] = None
            while len(self._ok) > self._size:
                self._ok.popitem(last=False)
        return ok


def _checkpw(password: bytes, hashed: bytes) -> bool:
    try:
        return bcrypt.checkpw(password, hashed)
    except ValueError:
        return False
