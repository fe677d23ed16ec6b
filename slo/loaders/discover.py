"""Finding spec files and telling their formats apart, as Sloth does.

Formats are detected by regexes on each document's raw text (Sloth's own rule), so a document
Sloth would read as `prometheus/v1` is read as that here too. Directories are searched
recursively for `*.yaml`/`*.yml`, in sorted order so output and error order are stable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from slo.loaders.native import load_native
from slo.loaders.openslo import load_openslo
from slo.loaders.openslo_v1 import load_openslo_v1
from slo.loaders.sloth import load_sloth
from slo.model import SLOGroup, SpecKind
from slo.plugins import PluginRegistry
from slo.problems import Problem
from slo.yamlsource import Document, Location, Map, SpecSyntaxError, parse_document, split_documents

_NATIVE_V1_RE = re.compile(r"(?m)^version: +['\"]?jupyter-slo/v1['\"]? *$")
_SLOTH_V1_RE = re.compile(r"(?m)^version: +['\"]?prometheus/v1['\"]?\r?\n? *$")
_K8S_KIND_RE = re.compile(r"(?m)^kind: +['\"]?PrometheusServiceLevel['\"]? *$")
_K8S_API_RE = re.compile(r"(?m)^apiVersion: +['\"]?sloth.slok.dev/v1['\"]? *$")
_OPENSLO_KIND_RE = re.compile(r"(?m)^kind: +['\"]?SLO['\"]? *$")
_OPENSLO_V1_API_RE = re.compile(r"(?m)^apiVersion: +['\"]?openslo/v1['\"]? *$")
_OPENSLO_API_RE = re.compile(r"(?m)^apiVersion: +['\"]?openslo/v1alpha['\"]? *$")

SPEC_SUFFIXES = (".yaml", ".yml")
# The alert routing config (alerts/config.py) lives beside the specs but is not one.
NOT_SPECS = frozenset({"alerting.yaml"})


@dataclass(frozen=True)
class SpecFile:
    """A spec file and the SLO groups (one per YAML document) read from it."""

    path: Path
    groups: tuple[SLOGroup, ...]


def detect(text: str) -> SpecKind | None:
    if _NATIVE_V1_RE.search(text):
        return SpecKind.NATIVE_V1
    if _SLOTH_V1_RE.search(text):
        return SpecKind.SLOTH_V1
    if _K8S_KIND_RE.search(text) and _K8S_API_RE.search(text):
        return SpecKind.SLOTH_K8S
    if _OPENSLO_KIND_RE.search(text) and _OPENSLO_API_RE.search(text):
        return SpecKind.OPENSLO_V1ALPHA
    if _OPENSLO_V1_API_RE.search(text):
        return SpecKind.OPENSLO_V1
    return None


_VERSION_LINE_RE = re.compile(r"(?m)^version: *(?P<value>.*?) *$")


def _unknown_format(document: Document) -> Problem:
    """Name the version the user wrote when there is one; Sloth's generic words otherwise."""
    match = _VERSION_LINE_RE.search(document.text)
    if match and match.group("value"):
        line0 = document.text.count("\n", 0, match.start())
        column0 = match.start("value") - match.start()
        value = match.group("value").strip("'\"")
        return Problem(document.location(line0, column0),
                       f'unsupported spec version "{value}" (supported: jupyter-slo/v1, '
                       'prometheus/v1)')
    return Problem(document.start, "invalid spec, could not load with any of the supported "
                   "spec types (prometheus/v1, sloth.slok.dev/v1 PrometheusServiceLevel, "
                   "openslo/v1alpha)")


def find_spec_files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.suffix in SPEC_SUFFIXES and p.is_file()
                      and p.name not in NOT_SPECS)
    return [path]


def load_text(text: str, name: str, plugins: PluginRegistry,
              problems: list[Problem]) -> tuple[SLOGroup, ...]:
    groups = []
    documents = split_documents(text, name)
    openslo_slis = _openslo_v1_slis(documents)
    for document in documents:
        kind = detect(document.text)
        if kind is None:
            problems.append(_unknown_format(document))
            continue
        try:
            root = parse_document(document)
        except SpecSyntaxError as exc:
            problems.append(Problem(exc.location, exc.message))
            continue
        if not isinstance(root, Map):
            problems.append(Problem(document.start, "a spec document must be a mapping"))
            continue
        if kind is SpecKind.NATIVE_V1:
            groups.append(load_native(root, document.start, problems))
        elif kind is SpecKind.OPENSLO_V1:
            group = load_openslo_v1(root, document.start, openslo_slis, problems)
            if group.slos:
                groups.append(group)
        elif kind is SpecKind.OPENSLO_V1ALPHA:
            groups.append(load_openslo(root, document.start, problems))
        else:
            groups.append(load_sloth(root, document.start, kind, plugins, problems))
    return tuple(groups)


def _openslo_v1_slis(documents: list[Document]) -> dict[str, Map]:
    """OpenSLO v1 `kind: SLI` documents of one file, by name, for `indicatorRef`."""
    slis: dict[str, Map] = {}
    for document in documents:
        if detect(document.text) is not SpecKind.OPENSLO_V1:
            continue
        try:
            root = parse_document(document)
        except SpecSyntaxError:
            continue  # reported when the document itself is loaded
        if isinstance(root, Map) and root.get("kind") == "SLI":
            meta = root.get("metadata")
            if isinstance(meta, Map) and isinstance(meta.get("name"), str):
                slis[meta["name"]] = root
    return slis


def load_file(path: Path, plugins: PluginRegistry, problems: list[Problem]) -> SpecFile:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(Location(str(path)), f"cannot read spec: {exc}"))
        return SpecFile(path, ())
    return SpecFile(path, load_text(text, str(path), plugins, problems))
