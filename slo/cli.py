"""The `jupyter-slo` command: one entry point, one subcommand per job.

Exit codes are a contract: 0 success, 1 invalid input (spec problems, printed as
`FILE:LINE:COL: message` on stderr, all of them), 2 usage or I/O errors. No traceback ever
reaches the user for bad input; output files are only written when everything succeeded.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from alerts import naming as alert_naming
from alerts.config import AlertingConfig, AlertingConfigError
from alerts.config import find_config as find_alerting
from alerts.config import load_config as load_alerting
from alerts.operational import render_operational
from alerts.routing import render_alertmanager
from alerts.slorules import link_plugins
from dashboards import build_dashboards
from slo import duration
from slo.explain import explain, render_json, render_text
from slo.generate.chain import GenerationError, Options, prepare
from slo.loaders.discover import SPEC_SUFFIXES
from slo.output import write_all
from slo.pipeline import (
    FORMAT_OPERATOR,
    FORMAT_PROMETHEUS,
    Loaded,
    load_and_validate,
    render_spec,
)
from slo.plugins import PluginLoadError, PluginRegistry, load_plugins
from slo.problems import Problem
from slo.rules import RuleGroup
from slo.schema import SCHEMAS
from slo.schema import text as schema_text
from slo.testgen import test_file
from slo.version import TAG, __version__
from slo.windows import WindowsError, load_catalogue

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Bad flags or unreadable paths: exit 2."""


def _label(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return key, value


def _duration(text: str) -> int:
    try:
        ms = duration.parse(text)
    except duration.DurationError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if ms <= 0:
        raise argparse.ArgumentTypeError("the SLO period must be above zero")
    return ms


def _add_spec_flags(parser: argparse.ArgumentParser, *, many_inputs: bool) -> None:
    if many_inputs:
        parser.add_argument("-i", "--input", dest="inputs", type=Path, action="append",
                            required=True, metavar="PATH",
                            help="spec file or directory (repeatable; directories are searched "
                                 "recursively for *.yaml and *.yml)")
    else:
        parser.add_argument("-i", "--input", type=Path, required=True, metavar="PATH",
                            help="spec file or directory (searched recursively)")
    parser.add_argument("--compat", choices=["sloth"],
                        help="reproduce Sloth v0.16.0's output byte for byte (its header, its "
                             "float artefacts and its time-weighted period ratio)")
    parser.add_argument("--default-slo-period", type=_duration, default=_duration("30d"),
                        metavar="DURATION",
                        help="SLO period for specs that set none (default: 30d)")
    parser.add_argument("--slo-period-windows-path", type=Path, metavar="DIR",
                        help="directory of Sloth AlertWindows files; replaces the built-in "
                             "30d and 28d catalogue")
    parser.add_argument("-l", "--extra-labels", type=_label, action="append", default=[],
                        metavar="KEY=VALUE", help="label added to every SLO (repeatable)")
    parser.add_argument("-p", "--plugins-path", type=Path, action="append", default=[],
                        metavar="DIR", help="directory of Python SLI/SLO plugins (repeatable)")


# Commands that read specs. Their parser leaves `dashboards` out: its HTTP client (requests)
# takes about a tenth of a second to import, and nothing else of it is needed.
SPEC_COMMANDS = ("validate", "rules", "generate", "explain", "schema")


def build_parser(*, dashboards: bool = True) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jupyter-slo",
        description="Observability exporter and SLO engine for Jupyter platforms.",
        epilog="Exit codes: 0 ok, 1 invalid input, 2 usage or I/O error.",
    )
    parser.add_argument("--version", action="version", version=f"jupyter-slo {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    validate = sub.add_parser("validate", help="check SLO spec files",
                              description="Check SLO specs; print every problem as "
                                          "FILE:LINE:COL: message. Exit 0 valid, 1 invalid.")
    _add_spec_flags(validate, many_inputs=True)
    validate.add_argument("--ignore-slo-duplicates", action="store_true",
                          help="do not fail when two specs declare the same SLO id")
    validate.set_defaults(run=run_validate)

    rules = sub.add_parser("rules", help="generate Prometheus rule files",
                           description="Generate Prometheus recording and alerting rules. A "
                                       "file gives a file, a directory a mirrored directory; "
                                       "no -o (or -o -) prints to stdout.")
    _add_spec_flags(rules, many_inputs=False)
    _add_rules_flags(rules)
    rules.add_argument("-o", "--out", default="-", metavar="OUT",
                       help="output file or directory, or - for stdout (default)")
    rules.set_defaults(run=run_rules)

    generate = sub.add_parser("generate", help="generate every artefact into a directory",
                              description="Write OUTDIR/prometheus/rules/*.yaml (one rule file "
                                          "per spec file), OUTDIR/prometheus/tests/*.yaml "
                                          "(promtool unit tests of those rules, plus "
                                          "jupyter-slo-operational.yaml), "
                                          "OUTDIR/grafana/dashboards/ (dashboard JSON and a "
                                          "Grafana provider file) and "
                                          "OUTDIR/alertmanager/alertmanager.yaml (routing from "
                                          "alerting.yaml beside the specs).")
    _add_spec_flags(generate, many_inputs=False)
    _add_rules_flags(generate)
    generate.add_argument("-o", "--out", type=Path, required=True, metavar="OUTDIR",
                          help="output directory")
    generate.set_defaults(run=run_generate)

    explain = sub.add_parser("explain", help="show what each SLO's alerts mean in numbers",
                             description="Per SLO: objective, error budget as time, and per "
                                         "alert tier the windows, burn factor, error-ratio "
                                         "threshold, budget spent before it fires and how long "
                                         "a full outage takes to fire it.")
    _add_spec_flags(explain, many_inputs=False)
    explain.add_argument("--format", choices=["text", "markdown", "json"], default="text",
                         help="plain text for terminals (default), markdown or json")
    explain.set_defaults(run=run_explain)

    schema = sub.add_parser("schema", help="print the JSON Schema of a spec format",
                            description="Print a spec format's JSON Schema (draft-07), for "
                                        "editors (yaml-language-server) and linters. The "
                                        "same files ship in slo/schemas/.")
    schema.add_argument("name", nargs="?", default="jupyter-slo-v1", choices=sorted(SCHEMAS),
                        help="which format (default: jupyter-slo-v1)")
    schema.set_defaults(run=run_schema)

    sub.add_parser("exporter", help="run the Prometheus exporter for Jupyter servers",
                   add_help=False,
                   description="Run the exporter; see `jupyter-slo exporter --help`.")
    sub.add_parser("demo", add_help=False,
                   help="a throw-away Jupyter Server, the exporter, Prometheus and Alertmanager "
                        "with generated rules; prints the URLs (see `jupyter-slo demo --help`)")
    sub.add_parser("job", add_help=False,
                   help="run a scheduled notebook job and record its outcome "
                        "(see `jupyter-slo job run --help`)")
    sub.add_parser("loadtest", add_help=False,
                   help="start kernels in parallel and report startup latency (game day)")
    sub.add_parser("chaos", add_help=False,
                   help="kill or restart kernels at a bounded rate (game day)")
    if dashboards:
        from dashboards import cli as dashboards_cli

        dashboards_cli.add_parser(sub)
    return parser


def _add_rules_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--disable-alerts", action="store_true", help="no alerting rules")
    parser.add_argument("--disable-recordings", action="store_true",
                        help="no recording rules (alerts then need them from elsewhere)")
    parser.add_argument("--format", choices=[FORMAT_PROMETHEUS, FORMAT_OPERATOR],
                        default=FORMAT_PROMETHEUS,
                        help="plain rule files (default) or prometheus-operator PrometheusRule "
                             "objects; ignored with --compat sloth, which follows the input")


def _setup(args: argparse.Namespace) -> tuple[PluginRegistry, dict, Options]:
    inputs = args.inputs if hasattr(args, "inputs") else [args.input]
    for path in inputs:
        if not path.exists():
            raise UsageError(f"{path}: no such file or directory")
    try:
        plugins = load_plugins(args.plugins_path)
    except PluginLoadError as exc:
        raise UsageError(str(exc)) from None
    try:
        catalogue = load_catalogue(args.slo_period_windows_path)
    except WindowsError as exc:
        raise UsageError(str(exc)) from None
    if args.default_slo_period not in catalogue:
        raise UsageError(f"invalid default SLO period: no alert windows for "
                         f"{duration.format_ms(args.default_slo_period)} (known: "
                         f"{', '.join(duration.format_ms(p) for p in sorted(catalogue))})")
    options = Options(
        version=TAG, catalogue=catalogue, default_period_ms=args.default_slo_period,
        plugins=plugins, extra_labels=dict(args.extra_labels),
        disable_alerts=getattr(args, "disable_alerts", False),
        disable_recordings=getattr(args, "disable_recordings", False),
    )
    return plugins, catalogue, options


def _report(problems: Sequence[Problem]) -> None:
    for problem in problems:
        print(problem, file=sys.stderr)


@dataclass(frozen=True)
class _Loaded:
    rendered: dict[Path, str]
    groups: dict[Path, tuple[RuleGroup, ...]]  # the rule groups in each rendered text
    loaded: Loaded
    options: Options
    alerting: AlertingConfig


def _load(args: argparse.Namespace, *, check_duplicates: bool = False,
          output_format: str = FORMAT_PROMETHEUS) -> _Loaded | int:
    """Load, validate and render every spec, printing all problems; an exit code on failure.

    Rendering runs even when only validating: a plugin may still refuse its input then. The
    routing config (`alerting.yaml` beside the specs) is read too: its links go into the
    burn-rate alerts' annotations.
    """
    plugins, catalogue, options = _setup(args)
    inputs = args.inputs if hasattr(args, "inputs") else [args.input]
    loaded = load_and_validate(inputs, plugins, catalogue, options.default_period_ms,
                               check_duplicates=check_duplicates)
    problems = list(loaded.problems)
    configs = []
    for path in inputs:
        try:
            configs.append(load_alerting(find_alerting(path)))
        except AlertingConfigError as exc:
            problems += exc.problems
    _report(problems)
    if not loaded.ok or len(problems) > len(loaded.problems):
        return EXIT_INVALID
    alerting = configs[0] if configs else AlertingConfig()
    rendered: dict[Path, str] = {}
    groups: dict[Path, tuple[RuleGroup, ...]] = {}
    try:
        for spec in loaded.files:
            out = render_spec(spec, options, compat=args.compat == "sloth",
                              output_format=output_format, extra_core=link_plugins(alerting.links))
            rendered[spec.path], groups[spec.path] = out.text, out.groups
    except GenerationError as exc:
        _report([exc.problem])
        return EXIT_INVALID
    return _Loaded(rendered, groups, loaded, options, alerting)


def run_validate(args: argparse.Namespace) -> int:
    result = _load(args, check_duplicates=not args.ignore_slo_duplicates)
    if isinstance(result, int):
        return result
    loaded = result.loaded
    count = sum(len(g.slos) for f in loaded.files for g in f.groups)
    print(f"{count} SLOs in {len(loaded.files)} files: valid", file=sys.stderr)
    return EXIT_OK


def _render_all(args: argparse.Namespace) -> _Loaded | int:
    return _load(args, output_format=args.format)


def _relative_out(spec_path: Path, root: Path, out_dir: Path) -> Path:
    if root.is_dir():
        return out_dir / spec_path.relative_to(root)
    return out_dir / spec_path.name


def run_rules(args: argparse.Namespace) -> int:
    result = _render_all(args)
    if isinstance(result, int):
        return result
    rendered = result.rendered
    if args.out == "-":
        sys.stdout.write("".join(rendered.values()))
        return EXIT_OK
    out = Path(args.out)
    if args.input.is_dir():
        if out.exists() and not out.is_dir():
            raise UsageError(f"{out}: the input is a directory, so the output must be one too")
        if out.resolve() == args.input.resolve():
            raise UsageError(f"{out}: output directory must differ from the input directory")
        write_all({_relative_out(p, args.input, out): t for p, t in rendered.items()})
    else:
        if out.is_dir():
            out = out / args.input.name
        (text,) = rendered.values()
        write_all({out: text})
    return EXIT_OK


def run_generate(args: argparse.Namespace) -> int:
    result = _render_all(args)
    if isinstance(result, int):
        return result
    rendered, loaded, options = result.rendered, result.loaded, result.options
    rules_dir = args.out / "prometheus" / "rules"
    tests_dir = args.out / "prometheus" / "tests"
    outputs = {}
    all_slos = []
    for spec in loaded.files:
        target = _relative_out(spec.path, args.input, rules_dir)
        if target.suffix not in SPEC_SUFFIXES:
            target = target.with_suffix(".yaml")
        outputs[target] = rendered[spec.path]
        test = tests_dir / target.relative_to(rules_dir)
        slos = [prepare(s, options) for g in spec.groups for s in g.slos]
        all_slos += slos
        outputs[test] = test_file(slos, options.catalogue, options.default_period_ms,
                                  os.path.relpath(target, test.parent), result.groups[spec.path],
                                  TAG)
    dashboards = build_dashboards(all_slos, version=TAG, catalogue=options.catalogue,
                                  default_period_ms=options.default_period_ms)
    for name, text in dashboards.items():
        outputs[args.out / "grafana" / "dashboards" / name] = text
    outputs[args.out / alert_naming.ALERTMANAGER_FILE] = render_alertmanager(result.alerting, TAG)
    outputs[args.out / alert_naming.OPERATIONAL_FILE] = render_operational(result.alerting, TAG)
    write_all(outputs)
    for target in outputs:
        print(f"wrote {target}", file=sys.stderr)
    return EXIT_OK


def run_schema(args: argparse.Namespace) -> int:
    sys.stdout.write(schema_text(args.name))
    return EXIT_OK


def run_explain(args: argparse.Namespace) -> int:
    result = _load(args)
    if isinstance(result, int):
        return result
    loaded, options = result.loaded, result.options
    explanations = [
        explain(prepare(slo, options),
                options.catalogue[slo.period_ms or options.default_period_ms])
        for spec in loaded.files for group in spec.groups for slo in group.slos
    ]
    if args.format == "json":
        sys.stdout.write(render_json(explanations))
    else:
        sys.stdout.write(render_text(explanations, markdown=args.format == "markdown"))
    return EXIT_OK


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """Run Python's cycle collector far less often for the length of one command.

    A command allocates millions of small objects (spec trees, SLO models, rules, dicts to
    dump) and keeps most of them until it is done. With the default thresholds the collector
    scans them again and again and finds next to nothing, as they hold few reference cycles:
    about 0.3 s of `generate` for 1,000 SLOs. Peak memory does not change measurably.
    """
    thresholds = gc.get_threshold()
    gc.set_threshold(50_000, 20, 100)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["exporter"]:
        # The exporter owns its flags (Prometheus-exporter style, `--web.listen-address`).
        from exporter.cli import main as exporter_main

        return exporter_main(argv[1:])
    if argv[:1] == ["demo"]:
        from slo.demo import main as demo_main

        return demo_main(argv[1:])
    if argv[:1] == ["job"]:
        from exporter.jobs.cli import main as job_main

        return job_main(argv[1:])
    if argv[:1] in (["loadtest"], ["chaos"]):
        from exporter.gameday.cli import main as gameday_main

        return gameday_main(argv)
    parser = build_parser(dashboards=not (argv and argv[0] in SPEC_COMMANDS))
    args = parser.parse_args(argv)
    try:
        with _fewer_collections():
            return args.run(args)
    except UsageError as exc:
        print(f"jupyter-slo: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:
        print(f"jupyter-slo: error: {exc}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
