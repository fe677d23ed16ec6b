"""From spec paths to rendered rule text: load, validate, generate, render.

The command line calls these; they do no printing and no writing. Every failure comes back
as `Problem`s so the caller can print them all and write nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from slo import naming, render
from slo.generate import default as default_mode
from slo.generate import sloth as sloth_mode
from slo.generate.chain import CorePlugins, GenerationError, Options, generate_group
from slo.loaders.discover import SpecFile, find_spec_files, load_file
from slo.model import SLOGroup, SpecKind
from slo.plugins import PluginRegistry
from slo.problems import Problem, errors
from slo.rules import RuleGroup
from slo.validation import QueryCheck, check_promql, validate_group
from slo.windows import AlertWindows
from slo.yamlsource import Location

FORMAT_PROMETHEUS = "prometheus"
FORMAT_OPERATOR = "prometheus-operator"


@dataclass(frozen=True)
class Loaded:
    files: tuple[SpecFile, ...]
    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        return not errors(list(self.problems))


def load_and_validate(paths: Iterable[Path], plugins: PluginRegistry,
                      catalogue: dict[int, AlertWindows], default_period_ms: int,
                      *, check_duplicates: bool = True) -> Loaded:
    problems: list[Problem] = []
    queries: list[QueryCheck] = []
    files = []
    for root in paths:
        if not root.exists():
            problems.append(Problem(Location(str(root)), "no such file or directory"))
            continue
        found = find_spec_files(root)
        if not found:
            problems.append(Problem(Location(str(root)), "no spec files (*.yaml, *.yml) found"))
        for path in found:
            spec = load_file(path, plugins, problems)
            for group in spec.groups:
                problems += validate_group(group, catalogue, default_period_ms, plugins,
                                           queries)
            files.append(spec)
    problems += check_promql(queries)
    if not errors(problems):
        problems += _incomplete(files)
    if check_duplicates:
        problems += duplicate_ids(files)
    # A group-level fault (an empty service) is found once per SLO: report it once.
    return Loaded(tuple(files), tuple(dict.fromkeys(problems)))


def _incomplete(files: Iterable[SpecFile]) -> list[Problem]:
    """A safety net: an SLO without an SLI or objective must have drawn an error somewhere.

    Loaders report why a part is missing; if one ever forgets, this keeps generation from
    meeting an incomplete SLO (a traceback) and still points at the SLO.
    """
    return [Problem(slo.loc() or group.location, f"SLO {slo.id!r} has no usable "
                    f"{'SLI' if slo.sli is None else 'objective'}")
            for spec in files for group in spec.groups for slo in group.slos
            if slo.sli is None or slo.objective is None]


def duplicate_ids(files: Iterable[SpecFile]) -> list[Problem]:
    """SLO ids declared in more than one document; both places are named (`FILE:1:1`)."""
    first: dict[str, tuple[Path, int]] = {}
    problems = []
    for spec in files:
        for index, group in enumerate(spec.groups):
            for slo in {s.id: s for s in group.slos}.values():
                if not slo.service or not slo.name:
                    continue
                where = (spec.path, index)
                if slo.id in first and first[slo.id] != where:
                    other = first[slo.id][0]
                    problems.append(Problem(Location(str(spec.path)), f'SLO ID "{slo.id}" is '
                                            f"duplicated: also declared in {other}"))
                first.setdefault(slo.id, where)
    return problems


def core_for(compat: bool) -> Callable[[], CorePlugins]:
    return sloth_mode.core_plugins if compat else default_mode.core_plugins


@dataclass(frozen=True)
class Rendered:
    """A spec file's rule text and the rule groups it holds (`generate` tests them)."""

    text: str
    groups: tuple[RuleGroup, ...]


def render_file(spec: SpecFile, options: Options, *, compat: bool, output_format: str,
                extra_core: Callable[[], CorePlugins] | None = None) -> str:
    """The rule text for one spec file; raises `GenerationError` if a plugin fails."""
    return render_spec(spec, options, compat=compat, output_format=output_format,
                       extra_core=extra_core).text


def render_spec(spec: SpecFile, options: Options, *, compat: bool, output_format: str,
                extra_core: Callable[[], CorePlugins] | None = None) -> Rendered:
    """`render_file`, with the rule groups: each SLO's plugin chain runs once for both.

    `extra_core` adds core plugins after the default mode's (the alert links of
    `alerting.yaml`); `--compat sloth` ignores it, since Sloth's output has no such links.
    """
    if compat:
        native = [g for g in spec.groups if g.kind is SpecKind.NATIVE_V1]
        if native:
            raise GenerationError(Problem(native[0].location, "--compat sloth: jupyter-slo/v1 "
                                          "specs have no Sloth equivalent; drop --compat"))
        parts = [_render_sloth(g, options, core_for(compat)) for g in spec.groups]
        return Rendered("".join(naming.sloth_header(options.version) + text
                                for text, _ in parts),
                        tuple(rg for _, groups in parts for rg in groups))
    core = default_mode.core_plugins
    if extra_core is not None:
        extra = extra_core
        core = lambda: [*default_mode.core_plugins(), *extra()]  # noqa: E731
    text, groups = default_mode.render_spec(spec, options, output_format, core)
    return Rendered(text, tuple(groups))


def _render_sloth(group: SLOGroup, options: Options,
                  core: Callable[[], CorePlugins]) -> tuple[str, list[RuleGroup]]:
    groups = generate_group(group, options, core)
    if not groups:
        raise GenerationError(Problem(group.location, "0 SLO Prometheus rules generated"))
    if group.kind is SpecKind.SLOTH_K8S and group.k8s is not None:
        labels = {**group.k8s.labels, "app.kubernetes.io/component": "SLO",
                  "app.kubernetes.io/managed-by": "sloth"}
        return render.prometheus_rule(groups, group.k8s.name, group.k8s.namespace, labels,
                                      group.k8s.annotations), groups
    return render.rule_file(groups), groups


__all__ = ["GenerationError", "Loaded", "Options", "Rendered", "load_and_validate", "render_file",
           "render_spec"]
