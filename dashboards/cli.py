"""`jupyter-slo dashboards push`: upload generated dashboards to Grafana's HTTP API.

The token comes from `--grafana-token-file` or the `GRAFANA_TOKEN` environment variable, never
from a flag (`ps` shows flags). Exit codes follow the project's contract: 0 every dashboard is
in Grafana, 1 Grafana refused one or more (a version conflict, a bad dashboard), 2 usage or
I/O (no token, unreadable files, Grafana unreachable, token rejected). Progress goes to stdout
one line per dashboard, errors to stderr; nothing prints the token.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from dashboards.push import (
    EXIT_OK,
    EXIT_REFUSED,
    EXIT_USAGE,
    Grafana,
    PushError,
    load_dir,
    push_one,
)

PROG = "jupyter-slo dashboards"
TOKEN_ENV = "GRAFANA_TOKEN"


def add_parser(subparsers: Any) -> None:
    """Add `dashboards` (with its `push` subcommand) to the `jupyter-slo` subparsers."""
    parser = subparsers.add_parser(
        "dashboards", help="work with the generated Grafana dashboards",
        description="Work with the Grafana dashboards `jupyter-slo generate` writes.")
    _add_commands(parser)


def _add_commands(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="dashboards_command", metavar="COMMAND", required=True)
    push = sub.add_parser(
        "push", help="upload dashboards to Grafana (overwrite by UID)",
        description="Upload every *.json in DIR to Grafana's dashboard API, replacing the "
                    "dashboard with the same UID; identical dashboards are left alone. Exit "
                    "0 ok, 1 Grafana refused a dashboard, 2 usage or I/O error.")
    push.add_argument("--grafana-url", required=True, metavar="URL",
                      help="Grafana's root URL, e.g. https://grafana.example.org")
    push.add_argument("--grafana-token-file", type=Path, metavar="FILE",
                      help=f"file holding a service-account token (default: env {TOKEN_ENV})")
    push.add_argument("-i", "--input", type=Path, required=True, metavar="DIR",
                      help="directory of dashboard JSON (OUTDIR/grafana/dashboards)")
    push.add_argument("--folder-uid", metavar="UID", help="Grafana folder to save into")
    push.add_argument("--no-overwrite", action="store_true",
                      help="never replace a dashboard that exists and differs (exit 1)")
    push.add_argument("--timeout", type=float, default=10.0, metavar="SECONDS",
                      help="per-request timeout (default 10)")
    push.set_defaults(run=run_push)


def read_token(path: Path | None) -> str:
    if path is not None:
        try:
            token = path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise PushError(f"cannot read token file {path} ({exc.strerror})",
                            EXIT_USAGE) from None
        if not token:
            raise PushError(f"token file {path} is empty", EXIT_USAGE)
        return token
    token = os.environ.get(TOKEN_ENV, "").strip()
    if not token:
        raise PushError(f"no Grafana token: give --grafana-token-file or set {TOKEN_ENV}",
                        EXIT_USAGE)
    return token


def run_push(args: argparse.Namespace) -> int:
    try:
        if not args.grafana_url.startswith(("http://", "https://")):
            raise PushError(f"--grafana-url {args.grafana_url!r}: expected http:// or "
                            "https://", EXIT_USAGE)
        grafana = Grafana(args.grafana_url, read_token(args.grafana_token_file), args.timeout)
        dashboards = load_dir(args.input)
    except PushError as exc:
        print(f"{PROG} push: {exc}", file=sys.stderr)
        return exc.code
    code = EXIT_OK
    for path, dashboard in dashboards:
        try:
            outcome = push_one(grafana, dashboard, overwrite=not args.no_overwrite,
                               folder_uid=args.folder_uid)
        except PushError as exc:
            print(f"{PROG} push: {path}: {exc}", file=sys.stderr)
            if exc.code == EXIT_USAGE:
                return EXIT_USAGE
            code = EXIT_REFUSED
            continue
        print(f"{outcome.action} {outcome.uid} ({outcome.title}) {outcome.url}".rstrip())
    return code


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m dashboards`: the same commands without the `jupyter-slo` front door."""
    parser = argparse.ArgumentParser(prog=PROG, description="Grafana dashboards of jupyter-slo.")
    _add_commands(parser)
    args = parser.parse_args(argv)
    return int(args.run(args))
