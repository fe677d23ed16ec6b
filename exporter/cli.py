"""`jupyter-slo exporter` / `python -m exporter`: flags -> frozen config -> run until signalled.

Flags follow Prometheus exporter habits (DESIGN.md "Command line contract"). Secrets never
come from a flag, which `ps` would show: the token comes from `--jupyter-token-file` or the
`JUPYTER_TOKEN` environment variable. Exit codes: 0 after a clean stop, 2 for usage, config
or listen errors (printed as one line on stderr, never a traceback).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from aiohttp import web

from exporter import __version__, discovery, logs, webconfig
from exporter.app import build_app
from exporter.config import (
    COLLECTORS_DEFAULT_ON,
    DEFAULT_LISTEN_PORT,
    ConfigError,
    ExporterConfig,
    Secret,
    check_unique_names,
    parse_duration,
    parse_listen_address,
    parse_target,
)
from exporter.engine import Engine

EXIT_OK, EXIT_USAGE = 0, 2
log = logging.getLogger("exporter")

_HUB_FLAGS = ("hub_url", "hub_token_file", "proxy_api_url", "proxy_token_file")


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
                   help="file holding the API token (default: env JUPYTER_TOKEN)")
    p.add_argument("--hub-url", help="JupyterHub fleet mode (not implemented yet)")
    p.add_argument("--hub-token-file", help="JupyterHub API token file (fleet mode)")
    p.add_argument("--proxy-api-url", help="configurable-http-proxy API (fleet mode)")
    p.add_argument("--proxy-token-file", help="proxy API token file (fleet mode)")
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
        p.add_argument(f"--collector.{name}", dest=f"collector_{name}", default=True,
                       action=argparse.BooleanOptionalAction,
                       help=f"enable the {name} collector (default on)")
    p.add_argument("--version", action="version", version=f"jupyter-slo {__version__}")
    return p


def read_token(path: str | None) -> Secret | None:
    if path:
        try:
            text = Path(path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(f"cannot read token file {path} ({exc.strerror})") from None
        return Secret(text) if text else None
    env = os.environ.get("JUPYTER_TOKEN", "").strip()
    return Secret(env) if env else None


def config_from_args(args: argparse.Namespace) -> ExporterConfig:
    token = read_token(args.jupyter_token_file)
    if args.jupyter_url:
        targets = tuple(parse_target(text, token) for text in args.jupyter_url)
    else:
        found = discovery.discover(discovery.runtime_dir())
        targets = tuple(t if t.token else type(t)(t.name, t.url, token) for t in found)
    check_unique_names(targets)
    host, port = parse_listen_address(args.listen)
    probe_interval = parse_duration(args.probe_interval)
    poll_interval = parse_duration(args.poll_interval)
    if poll_interval <= 0:
        raise ConfigError("--poll-interval must be positive")
    collectors = frozenset(n for n in COLLECTORS_DEFAULT_ON if getattr(args, f"collector_{n}"))
    return ExporterConfig(
        targets=targets, listen_host=host, listen_port=port, web_config_file=args.web_config,
        poll_interval=poll_interval, probe_interval=probe_interval,
        idle_threshold=parse_duration(args.idle_threshold), collectors=collectors,
        log_format=args.log_format, probe_kernel_name=args.probe_kernel,
        probe_timeout=parse_duration(args.probe_timeout),
        request_timeout=min(10.0, max(1.0, poll_interval)),
        discovered=not args.jupyter_url)


async def serve(config: ExporterConfig, web_cfg: webconfig.WebConfig) -> int:
    engine = Engine(config, __version__)
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
                                 "tls": web_cfg.tls, "targets": len(config.targets),
                                 "discovered": config.discovered})
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
    if any(getattr(args, flag) for flag in _HUB_FLAGS):
        print("jupyter-slo exporter: JupyterHub fleet mode is not implemented yet",
              file=sys.stderr)
        return EXIT_USAGE
    try:
        config = config_from_args(args)
        web_cfg = webconfig.load(args.web_config) if args.web_config \
            else webconfig.WebConfig()
        webconfig.ssl_context(web_cfg)  # fail at startup, not on the first connection
    except ConfigError as exc:
        print(f"jupyter-slo exporter: {exc}", file=sys.stderr)
        return EXIT_USAGE
    secrets = [t.token.value for t in config.targets if t.token is not None]
    logs.setup(config.log_format, secrets, level=getattr(logging, args.log_level.upper()))
    if not config.targets:
        log.warning("no Jupyter Server to watch: none given and none found",
                    extra={"runtime_dir": str(discovery.runtime_dir())})
    return asyncio.run(serve(config, web_cfg))
