"""`jupyter-slo exporter` / `python -m exporter`: flags -> frozen config -> run until signalled.

Flags follow Prometheus exporter habits (DESIGN.md "Command line contract"). Secrets never
come from a flag, which `ps` would show: tokens come from `--jupyter-token-file` (or env
`JUPYTER_TOKEN`), `--hub-token-file` (or `JUPYTERHUB_API_TOKEN`) and `--proxy-token-file` (or
`CONFIGPROXY_AUTH_TOKEN`). A token file is re-read when a server refuses its token, so a
rotated secret is picked up without a restart (exporter.sources.tokens). Exit codes: 0 after
a clean stop, 2 for usage, config or listen errors (printed as one line on stderr, never a
traceback).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from collections.abc import Sequence

from aiohttp import web

from exporter import __version__, discovery, logs, naming, webconfig
from exporter.app import build_app
from exporter.config import (
    COLLECTORS_DEFAULT_ON,
    COLLECTORS_OPTIONAL,
    DEFAULT_LISTEN_PORT,
    ConfigError,
    ExporterConfig,
    HubConfig,
    Secret,
    check_unique_names,
    hub_api_url,
    normalise_url,
    parse_duration,
    parse_listen_address,
    parse_target,
)
from exporter.engine import build_engine
from exporter.sharding import parse_shard
from exporter.sources import tokens

EXIT_OK, EXIT_USAGE = 0, 2
log = logging.getLogger("exporter")
HUB_HEAVY_EVERY = 4


def collector_flags(name: str) -> tuple[str, ...]:
    """`--collector.notebook_paths`, and its dashed spelling `--collector.notebook-paths`."""
    flags = (f"--collector.{name}",)
    return (*flags, f"--collector.{name.replace('_', '-')}") if "_" in name else flags


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="jupyter-slo exporter",
        description="Prometheus exporter of Jupyter Server SLIs (kernels, crashes, startup "
                    "latency, saves, idleness).")
    p.add_argument("--jupyter-url", action="append", default=[], metavar="[NAME=]URL",
                   help="a Jupyter Server to watch (repeatable); NAME becomes the server "
                        "label. Without any, local servers are discovered from the runtime "
                        "dir, as `jupyter server list` does")
    p.add_argument("--jupyter-token-file", metavar="FILE",
                   help="file holding the API token (default: env JUPYTER_TOKEN); "
                        f"re-read after a 401/403, at most every {tokens.MIN_INTERVAL:g}s, "
                        "so a rotated token is picked up")
    p.add_argument("--hub-url", metavar="URL",
                   help="JupyterHub fleet mode: watch every ready user server of this Hub "
                        "(e.g. http://hub:8081); needs --proxy-api-url")
    p.add_argument("--hub-token-file", metavar="FILE",
                   help="Hub service token (default: env JUPYTERHUB_API_TOKEN); scopes "
                        "list:users, read:servers, access:servers; re-read after a "
                        "401/403 like --jupyter-token-file")
    p.add_argument("--proxy-api-url", metavar="URL",
                   help="configurable-http-proxy's API (e.g. http://proxy-api:8001): its "
                        "routing table gives each server's direct address")
    p.add_argument("--proxy-token-file", metavar="FILE",
                   help="proxy API token (default: env CONFIGPROXY_AUTH_TOKEN); re-read "
                        "after a 401/403 like --jupyter-token-file")
    p.add_argument("--hub.probe-user", dest="probe_users", action="append", default=[],
                   metavar="NAME", help="Hub mode: run synthetic probes on this user's "
                                        "servers (repeatable); no other server is probed")
    p.add_argument("--hub.refresh-interval", dest="hub_refresh", default=None,
                   help="how often to list the Hub's servers (default: --poll-interval)")
    p.add_argument("--shard", default="0/1", metavar="I/N",
                   help="watch only servers whose name hashes to shard I of N (0-based)")
    p.add_argument("--poll.max-concurrency", dest="max_concurrency", type=int, default=64,
                   help="polls in flight at once (default 64)")
    p.add_argument("--poll.heavy-every", dest="heavy_every", type=int, default=None,
                   help="read terminals and the server's /metrics every Nth poll only, "
                        "staggered across servers "
                        f"(default 1; {HUB_HEAVY_EVERY} in Hub mode)")
    p.add_argument("--path.procfs", dest="procfs", default="/proc",
                   help="procfs mount point (default /proc; /host/proc in a container)")
    p.add_argument("--path.rootfs", dest="rootfs", default="/",
                   help="root of the filesystems the node collector reports (default /)")
    p.add_argument("--web.listen-address", dest="listen", default=f":{DEFAULT_LISTEN_PORT}",
                   metavar="HOST:PORT", help=f"where to serve (default :{DEFAULT_LISTEN_PORT})")
    p.add_argument("--web.config.file", dest="web_config", metavar="FILE",
                   help="TLS and basic auth, exporter-toolkit format")
    p.add_argument("--poll-interval", default="15s", help="REST poll period (default 15s)")
    p.add_argument("--probe-interval", default="5m",
                   help="synthetic probe period; 0 disables probes (default 5m)")
    p.add_argument("--idle-threshold", default="30m",
                   help="inactivity after which an unattached idle kernel counts as idle "
                        "(default 30m)")
    p.add_argument("--probe.kernel-name", dest="probe_kernel", default="python3",
                   help="kernelspec the start probe launches (default python3)")
    p.add_argument("--probe.timeout", dest="probe_timeout", default="60s",
                   help="give up on a probe after this long (default 60s)")
    p.add_argument("--log.format", dest="log_format", choices=("text", "json"), default="text")
    p.add_argument("--log.level", dest="log_level", default="info",
                   choices=("debug", "info", "warning", "error"))
    for name in COLLECTORS_DEFAULT_ON:
        p.add_argument(*collector_flags(name), dest=f"collector_{name}", default=True,
                       action=argparse.BooleanOptionalAction,
                       help=f"enable the {name} collector (default on)")
    defaults = {naming.COLLECTOR_NODE: "on, off in Hub mode",
                naming.COLLECTOR_KERNEL_RESOURCES: "off; needs the kernels' PID namespace",
                naming.COLLECTOR_GPU: "off; needs the gpu extra; XID errors come from "
                                      "its own NVML event thread",
                naming.COLLECTOR_NOTEBOOK_PATHS: "off; puts notebook paths in a label",
                naming.COLLECTOR_NOTEBOOK_SECRETS: "off; reads saved notebooks' content, "
                                                   "see docs/exporter.md"}
    for name in COLLECTORS_OPTIONAL:
        p.add_argument(*collector_flags(name), dest=f"collector_{name}", default=None,
                       action=argparse.BooleanOptionalAction,
                       help=f"enable the {name} collector (default {defaults[name]})")
    p.add_argument("--version", action="version", version=f"jupyter-slo {__version__}")
    return p


def read_token(path: str | None, env_name: str = "JUPYTER_TOKEN") -> Secret | None:
    """The token from `path`, else from env `env_name`. A file's token keeps the file's
    absolute path, so it can be re-read after a rotation; an environment variable's cannot
    change under a running process."""
    if path:
        try:
            text = tokens.read_text(path)
        except OSError as exc:
            raise ConfigError(f"cannot read token file {path} ({exc.strerror})") from None
        return Secret(text, path=os.path.abspath(path)) if text else None
    env = os.environ.get(env_name, "").strip()
    return Secret(env) if env else None


def hub_config(args: argparse.Namespace, poll_interval: float) -> HubConfig:
    if args.jupyter_url:
        raise ConfigError("--hub-url and --jupyter-url are exclusive")
    if not args.proxy_api_url:
        raise ConfigError("Hub mode needs --proxy-api-url: servers are polled at their own "
                          "address from the proxy's routes, never through the proxy, whose "
                          "traffic counts as user activity")
    token = read_token(args.hub_token_file, "JUPYTERHUB_API_TOKEN")
    proxy_token = read_token(args.proxy_token_file, "CONFIGPROXY_AUTH_TOKEN")
    if token is None or proxy_token is None:
        raise ConfigError("Hub mode needs a Hub token (--hub-token-file or "
                          "JUPYTERHUB_API_TOKEN) and a proxy token (--proxy-token-file or "
                          "CONFIGPROXY_AUTH_TOKEN)")
    refresh = parse_duration(args.hub_refresh) if args.hub_refresh else poll_interval
    return HubConfig(api_url=hub_api_url(args.hub_url), token=token,
                     proxy_api_url=normalise_url(args.proxy_api_url), proxy_token=proxy_token,
                     probe_users=frozenset(args.probe_users),
                     refresh_interval=max(refresh, 0.1))


def config_from_args(args: argparse.Namespace) -> ExporterConfig:
    poll_interval = parse_duration(args.poll_interval)
    if poll_interval <= 0:
        raise ConfigError("--poll-interval must be positive")
    hub = hub_config(args, poll_interval) if args.hub_url else None
    token = read_token(args.jupyter_token_file)
    if hub is not None:
        targets: tuple = ()
    elif args.jupyter_url:
        targets = tuple(parse_target(text, token) for text in args.jupyter_url)
    else:
        found = discovery.discover(discovery.runtime_dir())
        targets = tuple(t if t.token else type(t)(t.name, t.url, token) for t in found)
    check_unique_names(targets)
    shard = parse_shard(args.shard)
    if args.max_concurrency < 1:
        raise ConfigError("--poll.max-concurrency must be at least 1")
    heavy_every = args.heavy_every or (HUB_HEAVY_EVERY if hub is not None else 1)
    if heavy_every < 1:
        raise ConfigError("--poll.heavy-every must be at least 1")
    host, port = parse_listen_address(args.listen)
    probe_interval = parse_duration(args.probe_interval)
    collectors = {n for n in COLLECTORS_DEFAULT_ON if getattr(args, f"collector_{n}")}
    for name in COLLECTORS_OPTIONAL:
        chosen = getattr(args, f"collector_{name}")
        if chosen is None:  # DESIGN.md: node on for a single host, off in Hub mode
            chosen = name == naming.COLLECTOR_NODE and hub is None
        if chosen:
            collectors.add(name)
    return ExporterConfig(
        targets=targets, listen_host=host, listen_port=port, web_config_file=args.web_config,
        poll_interval=poll_interval, probe_interval=probe_interval,
        idle_threshold=parse_duration(args.idle_threshold),
        collectors=frozenset(collectors), log_format=args.log_format,
        probe_kernel_name=args.probe_kernel, probe_timeout=parse_duration(args.probe_timeout),
        request_timeout=min(10.0, max(1.0, poll_interval)),
        discovered=not args.jupyter_url and hub is None, hub=hub,
        shard_index=shard.index, shard_count=shard.count,
        max_concurrency=args.max_concurrency, heavy_every=heavy_every, procfs=args.procfs,
        rootfs=args.rootfs)


async def serve(config: ExporterConfig, web_cfg: webconfig.WebConfig) -> int:
    engine = build_engine(config, __version__)
    auth = webconfig.BasicAuth(web_cfg.users) if web_cfg.users else None
    runner = web.AppRunner(build_app(engine, auth), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, config.listen_host, config.listen_port,
                       ssl_context=webconfig.ssl_context(web_cfg))
    try:
        await site.start()
    except OSError as exc:
        await runner.cleanup()
        log.error("cannot listen", extra={"address": f"{config.listen_host}:"
                                                     f"{config.listen_port}",
                                          "error": exc.strerror})
        return EXIT_USAGE
    log.info("listening", extra={"address": f"{config.listen_host}:{config.listen_port}",
                                 "tls": web_cfg.tls, "targets": len(engine.workers),
                                 "discovered": config.discovered,
                                 "hub": config.hub.api_url if config.hub else "none",
                                 "shard": f"{config.shard_index}/{config.shard_count}",
                                 "collectors": ",".join(sorted(config.collectors))})
    for target in config.targets:
        log.info("watching", extra={"server": target.name, "url": target.url,
                                    "token": "set" if target.token else "none"})
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    work = asyncio.create_task(engine.run())
    await stop.wait()
    log.info("stopping: cleaning up probes")
    work.cancel()
    await asyncio.gather(work, return_exceptions=True)
    await runner.cleanup()
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        config = config_from_args(args)
        web_cfg = webconfig.load(args.web_config) if args.web_config \
            else webconfig.WebConfig()
        webconfig.ssl_context(web_cfg)  # fail at startup, not on the first connection
    except ConfigError as exc:
        print(f"jupyter-slo exporter: {exc}", file=sys.stderr)
        return EXIT_USAGE
    secrets = [t.token.value for t in config.targets if t.token is not None]
    if config.hub is not None:
        secrets += [config.hub.token.value, config.hub.proxy_token.value]
    logs.setup(config.log_format, secrets, level=getattr(logging, args.log_level.upper()))
    if not config.targets and config.hub is None:
        log.warning("no Jupyter Server to watch: none given and none found",
                    extra={"runtime_dir": str(discovery.runtime_dir())})
    return asyncio.run(serve(config, web_cfg))
