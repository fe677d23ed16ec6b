"""The routing config, `alerting.yaml` next to the SLO specs: format, defaults and loading.

Why a file of our own instead of a hand-written Alertmanager config: teams edit who gets paged
and when maintenance mutes what; the tree, grouping, inhibition and secret handling that make
"the right page, once" are generated and cannot drift. Format (docs/alerting.md has it all):

    version: jupyter-slo/alerting/v1
    team_label: owner                  # the SLO label naming the owning team
    links: {runbook_base_url: URL, grafana_url: URL}
    receivers: {page: [NOTIFIER...], ticket: [NOTIFIER...]}     # everyone's default
    teams: {TEAM: {page: [...], ticket: [...]}}                  # a team's own, optional
    timing: {page: {group_wait, group_interval, repeat_interval}, ticket: {...}}
    maintenance: [{name, time_intervals: [Alertmanager's], mute: [{team, severity}...]}]
    operational: {exporter_job: NAME, labels: {k: v}}
    jobs: [{name: NOTEBOOK_JOB, max_age: DURATION}...]        # stale-job alerts, optional

Where it is found: `find_config(input)` looks for `alerting.yaml` in the input directory, or
next to the input file. Absent, `AlertingConfig()` is the default: empty `page` and `ticket`
receivers (alerts are visible in Alertmanager but delivered nowhere). Parsing is pure and
reports every fault as a `Problem` (`FILE:LINE:COL: message`), like spec validation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alerts import naming
from alerts.receivers import Notifier, check_notifier
from exporter.jobs.naming import valid_job_name
from slo import duration
from slo.problems import Problem
from slo.yamlsource import (
    Location,
    Map,
    Seq,
    SpecSyntaxError,
    parse_document,
    plain,
    split_documents,
)

DEFAULT_RUNBOOK_BASE_URL = "alerts/runbooks/"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
_LABEL = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_INTERVAL_KEYS = ("times", "weekdays", "days_of_month", "months", "years", "location")
_TOP_KEYS = ("version", "team_label", "links", "receivers", "teams", "timing", "maintenance",
             "operational", "jobs")


@dataclass(frozen=True)
class Timing:
    """Alertmanager's notification pacing for one severity."""

    group_wait: str
    group_interval: str
    repeat_interval: str


DEFAULT_TIMING = {naming.PAGE: Timing("30s", "5m", "4h"),
                  naming.TICKET: Timing("5m", "30m", "24h")}


@dataclass(frozen=True)
class Links:
    """Where `runbook_url` and `dashboard_url` annotations point (base URLs)."""

    runbook_base_url: str = DEFAULT_RUNBOOK_BASE_URL
    grafana_url: str = ""


@dataclass(frozen=True)
class Team:
    name: str
    receivers: dict[str, tuple[Notifier, ...]] = field(default_factory=dict)  # by severity


@dataclass(frozen=True)
class Mute:
    """A route selector: every route of `severity`, of `team`, or of both; "" means any."""

    team: str = ""
    severity: str = ""

    def selects(self, team: str, severity: str) -> bool:
        return (not self.team or self.team == team) and \
            (not self.severity or self.severity == severity)


@dataclass(frozen=True)
class Maintenance:
    name: str
    time_intervals: tuple[dict[str, Any], ...]
    mute: tuple[Mute, ...]


@dataclass(frozen=True)
class Operational:
    exporter_job: str = naming.DEFAULT_EXPORTER_JOB
    labels: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class NotebookJob:
    """A scheduled notebook job that must succeed at least every `max_age`.

    Stale-job alerts are configured here, not in the SLO specs, because staleness is about a
    schedule, not an objective: the `notebook-jobs` SLO says how often runs fail, this says
    that a job stopped succeeding at all (failing every run, or not running).
    """

    name: str  # the `notebook_job` label value, as `jupyter-slo job run --job` writes it
    max_age: str  # a Prometheus duration as written (`26h`)

    @property
    def max_age_seconds(self) -> float:
        return duration.parse(self.max_age) / 1000


@dataclass(frozen=True)
class AlertingConfig:
    source: str = "built-in defaults"
    team_label: str = naming.DEFAULT_TEAM_LABEL
    links: Links = Links()
    receivers: dict[str, tuple[Notifier, ...]] = field(default_factory=dict)  # by severity
    teams: tuple[Team, ...] = ()
    timing: dict[str, Timing] = field(default_factory=lambda: dict(DEFAULT_TIMING))
    maintenance: tuple[Maintenance, ...] = ()
    operational: Operational = Operational()
    jobs: tuple[NotebookJob, ...] = ()


class AlertingConfigError(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


def find_config(input_path: Path) -> Path | None:
    """`alerting.yaml` in the spec directory, or next to the spec file; None when absent."""
    folder = input_path if input_path.is_dir() else input_path.parent
    candidate = folder / naming.CONFIG_NAME
    return candidate if candidate.is_file() else None


def load_config(path: Path | None) -> AlertingConfig:
    """The config at `path` (None: the defaults); raises `AlertingConfigError` with every fault."""
    if path is None:
        return AlertingConfig()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise AlertingConfigError([Problem(Location(str(path)),
                                           f"cannot read ({exc.strerror})")]) from None
    config, problems = parse_config(text, str(path))
    if problems:
        raise AlertingConfigError(problems)
    return config


def parse_config(text: str, file: str) -> tuple[AlertingConfig, list[Problem]]:
    problems: list[Problem] = []
    documents = split_documents(text, file)
    if len(documents) != 1:
        return AlertingConfig(), [Problem(Location(file), "expected exactly one YAML document")]
    try:
        root = parse_document(documents[0])
    except SpecSyntaxError as exc:
        return AlertingConfig(), [Problem(exc.location, exc.message)]
    if not isinstance(root, Map):
        return AlertingConfig(), [Problem(documents[0].start, "expected a mapping")]
    _known(root, _TOP_KEYS, "", problems)
    if root.get("version") != naming.CONFIG_VERSION:
        problems.append(Problem(root.value_loc("version"),
                                f'version must be "{naming.CONFIG_VERSION}"'))
    team_label = root.get("team_label", naming.DEFAULT_TEAM_LABEL)
    if not isinstance(team_label, str) or not _LABEL.match(team_label):
        problems.append(Problem(root.value_loc("team_label"),
                                "team_label: expected a Prometheus label name"))
        team_label = naming.DEFAULT_TEAM_LABEL
    config = AlertingConfig(
        source=file, team_label=team_label, links=_links(root, problems),
        receivers=_severity_receivers(root, "receivers", problems),
        teams=_teams(root, problems), timing=_timing(root, problems),
        maintenance=_maintenance(root, problems), operational=_operational(root, problems),
        jobs=_jobs(root, problems))
    return config, problems


def _known(node: Map, keys: tuple[str, ...], path: str, problems: list[Problem]) -> None:
    for key in node:
        if key not in keys:
            problems.append(Problem(node.key_loc(key), f"{path}{key}: unknown field (known: "
                                    f"{', '.join(keys)})"))


def _mapping(node: Map, key: str, path: str, problems: list[Problem]) -> Map:
    """`node[key]` as a mapping; an empty one when absent or wrong (after saying so)."""
    value = node.get(key)
    if isinstance(value, Map):
        return value
    if value is not None:
        problems.append(Problem(node.value_loc(key), f"{path}: expected a mapping"))
    return _empty(node.value_loc(key))


def _empty(loc: Location) -> Map:
    empty = Map()
    empty.loc, empty.key_locs, empty.value_locs, empty.raw = loc, {}, {}, {}
    return empty


def _string(node: Map, key: str, path: str, problems: list[Problem], default: str = "") -> str:
    value = node.get(key, default)
    if not isinstance(value, str):
        problems.append(Problem(node.value_loc(key), f"{path}: expected a string"))
        return default
    return value


def _links(root: Map, problems: list[Problem]) -> Links:
    node = _mapping(root, "links", "links", problems)
    _known(node, ("runbook_base_url", "grafana_url"), "links.", problems)
    base = _string(node, "runbook_base_url", "links.runbook_base_url", problems,
                   DEFAULT_RUNBOOK_BASE_URL)
    grafana = _string(node, "grafana_url", "links.grafana_url", problems)
    return Links(base if base.endswith("/") else base + "/", grafana.rstrip("/"))


def _notifiers(node: Map, key: str, path: str, problems: list[Problem]) -> tuple[Notifier, ...]:
    items = node.get(key)
    if items is None:
        return ()
    if not isinstance(items, Seq):
        problems.append(Problem(node.value_loc(key), f"{path}: expected a list of notifiers"))
        return ()
    found = [check_notifier(item, items.item_loc(i), problems, f"{path}[{i}]")
             for i, item in enumerate(items)]
    return tuple(n for n in found if n is not None)


def _severity_receivers(node: Map, key: str, problems: list[Problem],
                        prefix: str = "") -> dict[str, tuple[Notifier, ...]]:
    path = f"{prefix}{key}"
    block = _mapping(node, key, path, problems)
    _known(block, naming.SEVERITIES, f"{path}.", problems)
    return {s: _notifiers(block, s, f"{path}.{s}", problems)
            for s in naming.SEVERITIES if s in block}


def _teams(root: Map, problems: list[Problem]) -> tuple[Team, ...]:
    block = _mapping(root, "teams", "teams", problems)
    teams = []
    for name in sorted(block, key=str):
        if not isinstance(name, str) or not _NAME.match(name):
            problems.append(Problem(block.key_loc(name), f"teams: {name!r} is not a team name "
                                    "(letters, digits, '_', '.', '-')"))
            continue
        receivers = _severity_receivers(block, name, problems, "teams.")
        teams.append(Team(name, receivers))
    return tuple(teams)


def _timing(root: Map, problems: list[Problem]) -> dict[str, Timing]:
    block = _mapping(root, "timing", "timing", problems)
    _known(block, naming.SEVERITIES, "timing.", problems)
    out = dict(DEFAULT_TIMING)
    for severity in naming.SEVERITIES:
        node = _mapping(block, severity, f"timing.{severity}", problems)
        keys = ("group_wait", "group_interval", "repeat_interval")
        _known(node, keys, f"timing.{severity}.", problems)
        values = []
        for key in keys:
            default = getattr(DEFAULT_TIMING[severity], key)
            text = _string(node, key, f"timing.{severity}.{key}", problems, default)
            try:
                ok = duration.parse(text) > 0
            except duration.DurationError:
                ok = False
            if not ok:
                problems.append(Problem(node.value_loc(key), f"timing.{severity}.{key}: "
                                        f"expected a duration above zero, got {text!r}"))
            values.append(text)
        out[severity] = Timing(*values)
    return out


def _maintenance(root: Map, problems: list[Problem]) -> tuple[Maintenance, ...]:
    items = root.get("maintenance")
    if items is None:
        return ()
    if not isinstance(items, Seq):
        problems.append(Problem(root.value_loc("maintenance"), "maintenance: expected a list"))
        return ()
    out, names = [], set()
    for i, item in enumerate(items):
        path = f"maintenance[{i}]"
        if not isinstance(item, Map):
            problems.append(Problem(items.item_loc(i), f"{path}: expected a mapping"))
            continue
        _known(item, ("name", "time_intervals", "mute"), f"{path}.", problems)
        name = _string(item, "name", f"{path}.name", problems)
        if not _NAME.match(name) or name in names:
            problems.append(Problem(item.value_loc("name"), f"{path}.name: expected a unique "
                                    "name (letters, digits, '_', '.', '-')"))
        names.add(name)
        out.append(Maintenance(name, _intervals(item, path, problems),
                               _mutes(item, path, problems)))
    return tuple(out)


def _intervals(item: Map, path: str, problems: list[Problem]) -> tuple[dict[str, Any], ...]:
    """Alertmanager's `time_intervals` entries, passed through; amtool checks their values."""
    intervals = item.get("time_intervals")
    if not isinstance(intervals, Seq) or not intervals:
        problems.append(Problem(item.value_loc("time_intervals"), f"{path}.time_intervals: "
                                "expected a non-empty list of Alertmanager time intervals"))
        return ()
    out = []
    for j, interval in enumerate(intervals):
        if not isinstance(interval, Map):
            problems.append(Problem(intervals.item_loc(j),
                                    f"{path}.time_intervals[{j}]: expected a mapping"))
            continue
        _known(interval, _INTERVAL_KEYS, f"{path}.time_intervals[{j}].", problems)
        out.append(plain(interval))
    return tuple(out)


def _mutes(item: Map, path: str, problems: list[Problem]) -> tuple[Mute, ...]:
    mutes = item.get("mute")
    if not isinstance(mutes, Seq) or not mutes:
        problems.append(Problem(item.value_loc("mute"), f"{path}.mute: expected a non-empty "
                                "list of {team: NAME, severity: page|ticket} selectors"))
        return ()
    out = []
    for j, mute in enumerate(mutes):
        where = f"{path}.mute[{j}]"
        if not isinstance(mute, Map) or not mute:
            problems.append(Problem(mutes.item_loc(j), f"{where}: expected a mapping with "
                                    "team and/or severity"))
            continue
        _known(mute, ("team", "severity"), f"{where}.", problems)
        team = _string(mute, "team", f"{where}.team", problems)
        severity = _string(mute, "severity", f"{where}.severity", problems)
        if severity and severity not in naming.SEVERITIES:
            problems.append(Problem(mute.value_loc("severity"), f"{where}.severity: expected "
                                    f"one of {', '.join(naming.SEVERITIES)}"))
        if team and not _NAME.match(team):
            problems.append(Problem(mute.value_loc("team"), f"{where}.team: not a team name"))
        out.append(Mute(team, severity))
    return tuple(out)


def _operational(root: Map, problems: list[Problem]) -> Operational:
    node = _mapping(root, "operational", "operational", problems)
    _known(node, ("exporter_job", "labels"), "operational.", problems)
    job = _string(node, "exporter_job", "operational.exporter_job", problems,
                  naming.DEFAULT_EXPORTER_JOB)
    labels_node = _mapping(node, "labels", "operational.labels", problems)
    labels = {}
    for key, value in labels_node.items():
        if not isinstance(key, str) or not _LABEL.match(key) or key.startswith("__") \
                or not isinstance(value, str):
            problems.append(Problem(labels_node.key_loc(key), f"operational.labels.{key}: "
                                    "expected a label name and a string value"))
            continue
        labels[key] = value
    return Operational(job, labels)


def _jobs(root: Map, problems: list[Problem]) -> tuple[NotebookJob, ...]:
    items = root.get("jobs")
    if items is None:
        return ()
    if not isinstance(items, Seq):
        problems.append(Problem(root.value_loc("jobs"), "jobs: expected a list of "
                                "{name: NOTEBOOK_JOB, max_age: DURATION}"))
        return ()
    out, names = [], set()
    for i, item in enumerate(items):
        path = f"jobs[{i}]"
        if not isinstance(item, Map):
            problems.append(Problem(items.item_loc(i), f"{path}: expected a mapping with name "
                                    "and max_age"))
            continue
        keys = ("name", "max_age")
        _known(item, keys, f"{path}.", problems)
        missing = [k for k in keys if k not in item]
        for key in missing:
            problems.append(Problem(item.loc, f"{path}.{key}: required"))
        if missing:
            continue
        name = _string(item, "name", f"{path}.name", problems)
        good = valid_job_name(name)
        if not good:
            problems.append(Problem(item.value_loc("name"), f"{path}.name: expected a "
                                    "notebook_job name as `jupyter-slo job run --job` takes it "
                                    "(letters, digits, '_', '.', ':', '-'; no '/')"))
        elif name in names:
            problems.append(Problem(item.value_loc("name"), f"{path}.name: {name!r} is "
                                    "listed twice"))
        names.add(name)
        max_age = item.get("max_age")
        try:
            positive = isinstance(max_age, str) and duration.parse(max_age) > 0
        except duration.DurationError:
            positive = False
        if not positive:
            problems.append(Problem(item.value_loc("max_age"), f"{path}.max_age: expected a "
                                    f"duration above zero (a daily job: 26h), got {max_age!r}"))
        if good and positive:
            out.append(NotebookJob(name, str(max_age)))
    return tuple(out)
