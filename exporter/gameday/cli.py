"""`jupyter-slo loadtest ...` and `jupyter-slo chaos kill-kernels|restart-kernels ...`.

`main(argv)` takes the words after `jupyter-slo`, starting with `loadtest` or `chaos`. The
report goes to stdout (a table, or JSON with `--output json`); progress and per-action lines
go to stderr. Exit codes are those of the package docstring (0, 1, 2, 128+signal).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import sys
from collections.abc import Sequence
from pathlib import Path

import aiohttp

from exporter.config import ConfigError, parse_duration
from exporter.gameday import chaos, kernels
from exporter.gameday.loadtest import LoadSpec, run_load
from exporter.gameday.stats import table
from exporter.gameday.target import Target, TargetError, resolve

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
MAX_CONCURRENCY = 256
MAX_DURATION = 24 * 3600.0


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message)


def _duration(text: str) -> float:
    try:
        seconds = parse_duration(text)
    except ConfigError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if not 0 < seconds <= MAX_DURATION:
        raise argparse.ArgumentTypeError(f"must be above 0 and at most {MAX_DURATION:g}s")
    return seconds


def _bounded_int(low: int, high: int):  # type: ignore[no-untyped-def]
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be between {low} and {high}")
        return value
    return parse


def _rate(text: str) -> float:
    """`2`, `2/s`, `30/m` or `60/h`: actions per second, at most chaos.MAX_RATE."""
    number, _, unit = text.partition("/")
    scale = {"": 1.0, "s": 1.0, "m": 1 / 60, "h": 1 / 3600}.get(unit)
    try:
        value = float(number) * scale if scale is not None else math.nan
    except ValueError:
        value = math.nan
    if not 0 < value <= chaos.MAX_RATE:
        raise argparse.ArgumentTypeError(
            f"invalid rate {text!r}: a number per second (or N/s, N/m, N/h), above 0 and at "
            f"most {chaos.MAX_RATE:g}/s")
    return value


def _target_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", required=True, help="Jupyter Server URL (no token in it)")
    parser.add_argument("--token-file", type=Path, metavar="FILE",
                        help="file holding the API token (default: env JUPYTER_TOKEN)")
    parser.add_argument("--allow-remote", action="store_true",
                        help="allow a target that is not on loopback")
    parser.add_argument("--output", choices=("text", "json"), default="text")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="jupyter-slo", description="Game-day tools.")
    sub = parser.add_subparsers(dest="tool", required=True, parser_class=_Parser)
    load = sub.add_parser("loadtest", help="start kernels in parallel; report startup latency")
    _target_flags(load)
    load.add_argument("--concurrency", type=_bounded_int(1, MAX_CONCURRENCY), required=True)
    load.add_argument("--duration", type=_duration, required=True, metavar="D")
    load.add_argument("--kernel-name", default="python3")
    load.add_argument("--start-timeout", type=_duration, default=60.0, metavar="D")
    load.add_argument("--max-starts", type=_bounded_int(1, 100_000), default=1000)
    chaos_p = sub.add_parser("chaos", help="crash or restart kernels at a bounded rate")
    actions = chaos_p.add_subparsers(dest="action", required=True, parser_class=_Parser)
    for name, what in (("kill-kernels", "SIGKILL local kernel processes (crashes)"),
                       ("restart-kernels", "restart kernels through the API (not crashes)")):
        action = actions.add_parser(name, help=what)
        _target_flags(action)
        action.add_argument("--rate", type=_rate, required=True,
                            help=f"actions per second (N, N/s, N/m, N/h; at most "
                                 f"{chaos.MAX_RATE:g}/s)")
        action.add_argument("--duration", type=_duration, required=True, metavar="D")
        action.add_argument("--kernel-name", help="only kernels of this kernelspec")
        action.add_argument("--max-actions", type=_bounded_int(1, 100_000), default=1000)
    return parser


async def _preflight(target: Target) -> None:
    """Fail fast (exit 2) on a wrong URL or token, before any load or chaos starts."""
    async with aiohttp.ClientSession() as http:
        await kernels.list_kernels(http, target)


def _say(message: str) -> None:
    print(f"jupyter-slo: {message}", file=sys.stderr, flush=True)


def _loadtest(args: argparse.Namespace, target: Target) -> int:
    spec = LoadSpec(args.concurrency, args.duration, args.kernel_name, args.start_timeout,
                    args.max_starts)
    stops: list[int] = []
    tally, elapsed = asyncio.run(run_load(spec, target, on_stop=stops.append))
    summary = tally.summary()
    if args.output == "json":
        print(json.dumps({**summary, "concurrency": spec.concurrency,
                          "elapsed_seconds": round(elapsed, 3)}))
    else:
        print(table(summary, spec.concurrency, elapsed), end="")
    if stops:
        return 128 + stops[0]
    return EXIT_OK if summary["failed"] == 0 and summary["kernels_left"] == 0 else EXIT_FAILED


def _chaos(args: argparse.Namespace, target: Target) -> int:
    spec = chaos.ChaosSpec("kill" if args.action == "kill-kernels" else "restart", args.rate,
                           args.duration, args.kernel_name, args.max_actions)
    stops: list[int] = []
    result = asyncio.run(chaos.run_chaos(spec, target, on_stop=stops.append))
    summary = {**result.summary(), "planned": chaos.planned(spec)}
    if args.output == "json":
        print(json.dumps(summary))
    else:
        print(f"{args.action}: {summary['actions']} of {summary['planned']} planned, "
              f"{summary['skipped']} skipped (nothing to act on), {summary['errors']} errors, "
              f"{summary['kernels_hit']} kernels hit")
    if stops:
        return 128 + stops[0]
    return EXIT_OK if result.errors == 0 and result.skipped == 0 else EXIT_FAILED


def main(argv: Sequence[str]) -> int:
    try:
        args = build_parser().parse_args(list(argv))
        target = resolve(args.url, args.token_file, args.allow_remote)
        asyncio.run(_preflight(target))
    except (UsageError, TargetError) as exc:
        _say(f"usage error: {exc}")
        return EXIT_USAGE
    except kernels.ApiError as exc:
        hint = " (auth: the token was rejected; check --token-file or JUPYTER_TOKEN)" \
            if exc.reason == "auth" else ""
        _say(f"cannot use {args.url}: {exc}{hint}")
        return EXIT_USAGE
    if args.tool == "loadtest":
        return _loadtest(args, target)
    return _chaos(args, target)
