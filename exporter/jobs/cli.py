"""`jupyter-slo job run --job NAME [--textfile-dir DIR | --pushgateway URL] -- COMMAND...`.

Exit codes: the command's own, passed through as a shell reports it (see `runner`), so a
scheduler sees exactly what it would without the wrapper. Two cases are the wrapper's:
2 for a usage error (nothing is run), and 2 when the command succeeded but its success could
not be recorded; a failed command keeps its own code even when recording also failed, and
both problems are printed on stderr. Nothing here prints the command line's arguments or
environment, which can hold credentials.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from exporter.config import ConfigError, parse_duration
from exporter.jobs import naming as n
from exporter.jobs import push, runner, textfile
from exporter.jobs.state import Outcome

EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message)


class UsageError(Exception):
    pass


def _duration(text: str) -> float:
    try:
        seconds = parse_duration(text)
    except ConfigError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if seconds <= 0:
        raise argparse.ArgumentTypeError("must be above zero")
    return seconds


def _job(text: str) -> str:
    if not n.valid_job_name(text):
        raise argparse.ArgumentTypeError(
            f"invalid job name {text!r}: letters, digits, '_', '.', ':', '-' (no '/', so a "
            "notebook path cannot become a label), at most 128 characters")
    return text


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="jupyter-slo job", description="Scheduled notebook job SLI.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    run = sub.add_parser("run", help="run a command and record its outcome",
                         usage="jupyter-slo job run --job NAME [--textfile-dir DIR | "
                               "--pushgateway URL] [--timeout D] -- COMMAND [ARG...]")
    run.add_argument("--job", required=True, type=_job,
                     help=f"the `{n.LABEL_NOTEBOOK_JOB}` label value")
    sink = run.add_mutually_exclusive_group(required=True)
    sink.add_argument("--textfile-dir", type=Path, metavar="DIR",
                      help="node_exporter --collector.textfile.directory; the runs of all jobs "
                           f"share {n.TEXTFILE_NAME} there")
    sink.add_argument("--pushgateway", metavar="URL", help="Prometheus Pushgateway base URL")
    run.add_argument("--timeout", type=_duration, metavar="D",
                     help="stop the command after D (e.g. 90s, 2h); it counts as a failure and "
                          f"exits {runner.EXIT_TIMEOUT}")
    run.add_argument("--kill-grace", type=_duration, default=10.0, metavar="D",
                     help="after SIGTERM, wait this long before SIGKILL (default 10s)")
    return parser


def _split(argv: Sequence[str]) -> tuple[list[str], list[str]]:
    argv = list(argv)
    if "--" not in argv:
        return argv, []
    at = argv.index("--")
    return argv[:at], argv[at + 1:]


def _say(message: str) -> None:
    print(f"jupyter-slo job: {message}", file=sys.stderr, flush=True)


def _record(args: argparse.Namespace, outcome: Outcome) -> str | None:
    """None when recorded, else the error text."""
    try:
        if args.textfile_dir is not None:
            warning = textfile.record(args.textfile_dir, outcome)
            if warning:
                _say(warning)
        else:
            push.record(args.pushgateway, outcome)
    except (textfile.TextfileError, push.PushError) as exc:
        return str(exc)
    return None


def main(argv: Sequence[str]) -> int:
    options, command = _split(argv)
    try:
        args = build_parser().parse_args(options)
        if not command:
            raise UsageError("no command given: put it after `--`")
        if args.textfile_dir is not None and not args.textfile_dir.is_dir():
            raise UsageError(f"--textfile-dir {args.textfile_dir}: not a directory")
        if args.pushgateway is not None:
            args.pushgateway = push.check_url(args.pushgateway)
    except (UsageError, ValueError) as exc:
        _say(f"usage error: {exc}")
        return EXIT_USAGE
    finished = runner.run(command, timeout=args.timeout, grace=args.kill_grace)
    outcome = Outcome(args.job, finished.exit_code, finished.duration, time.time(),
                      finished.reason)
    if finished.reason not in ("exit", ""):
        _say(f"job {args.job}: {finished.reason}, exit code {finished.exit_code}")
    error = _record(args, outcome)
    if error is not None:
        _say(f"job {args.job}: outcome ({outcome.result}) not recorded: {error}")
        return EXIT_USAGE if finished.exit_code == 0 else finished.exit_code
    return finished.exit_code
