"""The exporter's configuration: frozen values built once at startup by pure functions.

Conventions: durations are floats in seconds; a token is carried in a `Secret`, whose repr
and str never show the value (nor the file it came from), so a config object can be logged or
put in an error message without leaking it. A `Secret` read from a file keeps that file's
path, so the token can be re-read when the server refuses it (exporter.sources.tokens); the
config itself stays frozen: the startup value is never replaced here. Everything here
validates eagerly: a bad flag fails at startup with a usage error, never later inside a
poll loop.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from exporter import naming

DEFAULT_LISTEN_PORT = 10888
DEFAULT_LISTEN_ADDRESS = f"127.0.0.1:{DEFAULT_LISTEN_PORT}"
PROBE_DIR = "jupyter-slo-probe"

_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_TARGET_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:/@-]{0,127}$")


class ConfigError(ValueError):
    """A flag or file that cannot be used; the CLI turns it into exit code 2."""


@dataclass(frozen=True, slots=True)
class Secret:
    """A credential; never shown by repr/str so it cannot leak through logs or errors.

    `path`: the file the value was read from (None for an environment variable), kept so a
    rotated file can be re-read; hidden from repr too, since a path to a secret is nobody's
    business in a log line."""

    value: str = field(repr=False)
    path: str | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        return "Secret(***)"

    __str__ = __repr__


@dataclass(frozen=True, slots=True)
class Target:
    """One Jupyter Server to watch. `name` becomes the `server` label."""

    name: str
    url: str  # normalised: scheme://host:port/base/ with a trailing slash
    token: Secret | None
    probe: bool = True  # synthetic probes allowed (Hub mode: only servers marked for it)

    def api(self, path: str) -> str:
        return self.url + path.lstrip("/")


@dataclass(frozen=True, slots=True)
class HubConfig:
    """JupyterHub fleet mode. `api_url` ends in `hub/api/`; `proxy_api_url` in `/`."""

    api_url: str
    token: Secret
    proxy_api_url: str
    proxy_token: Secret
    probe_users: frozenset[str] = frozenset()
    refresh_interval: float = 15.0


@dataclass(frozen=True, slots=True)
class ExporterConfig:
    targets: tuple[Target, ...]
    listen_host: str
    listen_port: int
    web_config_file: str | None
    poll_interval: float
    probe_interval: float  # 0 disables the synthetic probes
    idle_threshold: float
    collectors: frozenset[str]
    log_format: str
    probe_kernel_name: str = "python3"
    probe_timeout: float = 60.0
    request_timeout: float = 10.0
    discovered: bool = False
    hub: HubConfig | None = None
    shard_index: int = 0
    shard_count: int = 1
    max_concurrency: int = 64  # polls in flight at once
    heavy_every: int = 1  # read terminals and /metrics every Nth poll (engine.poll_phases)
    procfs: str = "/proc"
    rootfs: str = "/"
    host_timeout: float = 5.0  # limit on one procfs or NVML read
    gpu_retry: float = 60.0  # seconds between NVML init attempts


COLLECTORS_DEFAULT_ON = (
    naming.COLLECTOR_KERNELS, naming.COLLECTOR_CRASHES, naming.COLLECTOR_KERNEL_PROBE,
    naming.COLLECTOR_SAVE_PROBE, naming.COLLECTOR_SERVER_METRICS, naming.COLLECTOR_NOTEBOOK_SIZE,
    naming.COLLECTOR_SCHEDULER_JOBS,
)
# node: on for a single host, off in Hub mode (node_exporter runs there); kernel_resources and
# gpu are opt-in because they need the kernels' PID namespace or a GPU driver; notebook_paths
# puts paths in a label and notebook_secrets reads notebook content (docs/exporter.md).
COLLECTORS_OPTIONAL = (
    naming.COLLECTOR_NODE, naming.COLLECTOR_KERNEL_RESOURCES, naming.COLLECTOR_GPU,
    naming.COLLECTOR_NOTEBOOK_PATHS, naming.COLLECTOR_NOTEBOOK_SECRETS,
)
HOST_COLLECTORS = frozenset({
    naming.COLLECTOR_NODE, naming.COLLECTOR_KERNEL_RESOURCES, naming.COLLECTOR_GPU})
# Collectors fed by save events on the event stream.
NOTEBOOK_COLLECTORS = frozenset({
    naming.COLLECTOR_NOTEBOOK_SIZE, naming.COLLECTOR_NOTEBOOK_PATHS,
    naming.COLLECTOR_NOTEBOOK_SECRETS})


def hub_api_url(url: str) -> str:
    """`http://hub:8081` or JupyterHub's own `JUPYTERHUB_API_URL` form `.../hub/api`."""
    base = normalise_url(url)
    return base if base.endswith("/hub/api/") else base + "hub/api/"


def parse_duration(text: str) -> float:
    """Prometheus-style durations (`15s`, `5m`, `1h30m`, `250ms`); a bare number is seconds."""
    text = text.strip()
    try:
        value = float(text)
    except ValueError:
        pos, total = 0, 0.0
        for match in _DURATION.finditer(text):
            if match.start() != pos:
                break
            total += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
            pos = match.end()
        if pos != len(text) or not text:
            raise ConfigError(f"invalid duration {text!r} (expected e.g. 15s, 5m, 1h30m)") from None
        return total
    if value < 0:
        raise ConfigError(f"invalid duration {text!r}: negative")
    return value


def parse_listen_address(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ConfigError(f"invalid listen address {text!r} (expected HOST:PORT)")
    return host.strip("[]") or "0.0.0.0", int(port)


def normalise_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"invalid Jupyter URL {_strip_query(url)!r} (expected http(s)://host)")
    if parts.query or parts.username or parts.password:
        raise ConfigError("a Jupyter URL must not carry credentials or a query string; "
                          "use --jupyter-token-file or JUPYTER_TOKEN")
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    return f"{parts.scheme}://{parts.netloc}{path}"


def default_target_name(url: str) -> str:
    """`host:port/base` without trailing slash, the DESIGN.md default for the server label."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    base = parts.path.rstrip("/")
    return f"{parts.hostname}:{port}{base}"


def parse_target(text: str, token: Secret | None) -> Target:
    """`URL` or `name=URL` as given to --jupyter-url."""
    name, sep, url = text.partition("=")
    if not sep or "://" in name:
        name, url = "", text
    normalised = normalise_url(url)
    name = name or default_target_name(normalised)
    if not _TARGET_NAME.match(name):
        raise ConfigError(f"invalid target name {name!r}")
    return Target(name=name, url=normalised, token=token)


def _strip_query(url: str) -> str:
    return url.split("?", 1)[0]


def check_unique_names(targets: tuple[Target, ...]) -> None:
    seen: set[str] = set()
    for target in targets:
        if target.name in seen:
            raise ConfigError(f"two targets are named {target.name!r}; give them name=URL")
        seen.add(target.name)
