"""Notebook hygiene units: which event paths are looked up, the bounds on look-ups, what is
scanned, detect-secrets' verdicts, and the fold of look-ups into what collectors render."""

from __future__ import annotations

import pytest

from exporter import naming
from exporter.collectors.base import ExporterView
from exporter.collectors.notebooks import render_paths, render_secrets
from exporter.notebooks import paths, scan
from exporter.notebooks.limiter import Pending, TokenBucket
from exporter.notebooks.stats import LARGEST_KEPT, LARGEST_TTL, Lookup, NotebookStats, record
from exporter.notebooks.watch import confirmed_size, contents_path
from exporter.state import TargetState

AWS_KEY = "AKIAIOSFODNN7EXAMPLE"  # AWS's documented example access key id


@pytest.mark.parametrize("path, ok", [
    pytest.param("work.ipynb", True, id="a notebook in the root is looked up"),
    pytest.param("team/q3/report.ipynb", True, id="a notebook in a sub-folder is looked up"),
    pytest.param("../etc/passwd.ipynb", False, id="a parent segment is refused"),
    pytest.param("a/../../b.ipynb", False, id="a parent segment inside the path is refused"),
    pytest.param("/etc/x.ipynb", False, id="an absolute path is refused"),
    pytest.param("~root/x.ipynb", False, id="a home-relative path is refused"),
    pytest.param("C:/x.ipynb", False, id="a drive letter is refused"),
    pytest.param("a\\..\\b.ipynb", False, id="a backslash is refused"),
    pytest.param("a//b.ipynb", False, id="an empty segment is refused"),
    pytest.param("./b.ipynb", False, id="a dot segment is refused"),
    pytest.param("x\x00.ipynb", False, id="a control character is refused"),
    pytest.param("notes.txt", False, id="a file that is not a notebook is not looked up"),
    pytest.param("jupyter-slo-probe/p.ipynb", False, id="the exporter's own probe folder is not"),
    pytest.param("a" * 1100 + ".ipynb", False, id="an overlong path is refused"),
    pytest.param(7, False, id="a path that is not a string is refused"),
])
def test_safe_path(path: object, ok: bool) -> None:
    assert (paths.safe_path(path) == path) is ok


@pytest.mark.parametrize("payload, expected", [
    pytest.param({"schema_id": naming.CONTENTS_SCHEMA, "action": "save", "path": "a.ipynb"},
                 "a.ipynb", id="a save event yields its path"),
    pytest.param({"schema_id": naming.CONTENTS_SCHEMA, "action": "get", "path": "a.ipynb"},
                 None, id="a get event is not a save"),
    pytest.param({"schema_id": naming.KERNEL_ACTIONS_SCHEMA, "action": "save",
                  "path": "a.ipynb"}, None, id="another schema is not a save"),
    pytest.param({"schema_id": naming.CONTENTS_SCHEMA, "action": "save",
                  "path": "../a.ipynb"}, None, id="a forged save outside the root yields none"),
    pytest.param(["save"], None, id="a payload that is not an object yields none"),
])
def test_save_event_path(payload: object, expected: str | None) -> None:
    assert paths.save_event_path(payload) == expected


def test_contents_path_keeps_query_characters_in_the_name() -> None:
    assert contents_path("a b/c?d#e.ipynb") == "api/contents/a%20b/c%3Fd%23e.ipynb"


@pytest.mark.parametrize("model, size", [
    pytest.param({"type": "notebook", "path": "a.ipynb", "size": 120}, 120.0,
                 id="the server's notebook model gives the size"),
    pytest.param({"type": "file", "path": "a.ipynb", "size": 120}, None,
                 id="a model of another type is not confirmed"),
    pytest.param({"type": "notebook", "path": "b.ipynb", "size": 120}, None,
                 id="a model of another path is not confirmed"),
    pytest.param({"type": "notebook", "path": "a.ipynb", "size": None}, None,
                 id="a model without a size is not confirmed"),
    pytest.param({"type": "notebook", "path": "a.ipynb", "size": True}, None,
                 id="a boolean size is not a size"),
])
def test_confirmed_size(model: dict, size: float | None) -> None:
    assert confirmed_size(model, "a.ipynb") == size


def test_token_bucket_allows_a_burst_then_the_rate() -> None:
    bucket = TokenBucket(rate=2.0, burst=3.0)
    waits = []
    for _ in range(4):
        bucket, wait = bucket.take(100.0)
        waits.append(wait)
    assert waits == [0.0, 0.0, 0.0, 0.5]
    bucket, wait = bucket.take(100.5)
    assert wait == 0.0


def test_pending_coalesces_repeats_and_refuses_past_capacity() -> None:
    pending = Pending(capacity=2)
    outcomes = []
    for path in ("a.ipynb", "a.ipynb", "b.ipynb", "c.ipynb"):
        pending, accepted = pending.offer(path)
        outcomes.append(accepted)
    assert outcomes == [True, True, True, False]
    assert pending.paths == ("a.ipynb", "b.ipynb")
    pending, first = pending.pop()
    assert first == "a.ipynb" and pending.paths == ("b.ipynb",)


def _notebook(source: str = "", outputs: list | None = None,
              markdown: str = "") -> dict:
    cells = [{"cell_type": "code", "source": source, "outputs": outputs or [],
              "metadata": {}, "execution_count": 1}]
    if markdown:
        cells.append({"cell_type": "markdown", "source": markdown, "metadata": {}})
    return {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


@pytest.mark.parametrize("notebook, rules", [
    pytest.param(_notebook(f'key = "{AWS_KEY}"\n'), {"aws_access_key": 1},
                 id="a key in a code cell's source is found"),
    pytest.param(_notebook("print(k)", [{"output_type": "stream", "name": "stdout",
                                         "text": [f"{AWS_KEY}\n"]}]),
                 {"aws_access_key": 1}, id="a key in a stream output is found"),
    pytest.param(_notebook("k", [{"output_type": "execute_result", "execution_count": 1,
                                  "metadata": {}, "data": {"text/plain": f"'{AWS_KEY}'"}}]),
                 {"aws_access_key": 1}, id="a key in a result's text is found"),
    pytest.param(_notebook("boto()", [{"output_type": "error", "ename": "ClientError",
                                       "evalue": "bad", "traceback": [
                                           f"\x1b[31mkey={AWS_KEY}\x1b[0m"]}]),
                 {"aws_access_key": 1}, id="a key in a coloured traceback is found"),
    pytest.param(_notebook(f'k = "{AWS_KEY}"', [{"output_type": "stream", "name": "stdout",
                                                 "text": AWS_KEY}]),
                 {"aws_access_key": 1}, id="one key in source and output is one finding"),
    pytest.param(_notebook("x = 1", markdown=f"key {AWS_KEY}"), {},
                 id="markdown cells are not scanned"),
    pytest.param(_notebook("import hashlib", [{"output_type": "stream", "name": "stdout",
                                               "text": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b"
                                                       "2b0b822cd15d6c15b0f00a08\n"}]),
                 {}, id="a printed hash is not a secret (no entropy plugins)"),
])
def test_scan_finds_keys_by_rule(notebook: dict, rules: dict) -> None:
    assert scan.scan_lines(scan.notebook_lines(notebook)) == rules


def test_scanning_never_verifies_a_secret_with_its_provider() -> None:
    from detect_secrets.settings import get_settings

    scan.scan_lines([f'k = "{AWS_KEY}"'])
    assert scan.VERIFICATION_FILTER not in get_settings().filters
    assert not set(scan.plugin_names()) & scan.EXCLUDED_PLUGINS


def test_scanned_lines_are_bounded() -> None:
    notebook = _notebook("\n".join(["x" * (scan.MAX_LINE * 2)] * (scan.MAX_LINES + 5)))
    lines = scan.notebook_lines(notebook)
    assert len(lines) == scan.MAX_LINES and max(map(len, lines)) == scan.MAX_LINE


def _view(stats: NotebookStats, now: float) -> ExporterView:
    return ExporterView((TargetState(name="dev", notebooks=stats),), now, 1800.0, "t",
                        "python3", False)


def test_largest_keeps_the_biggest_few_and_forgets_old_ones() -> None:
    stats = NotebookStats()
    for i in range(LARGEST_KEPT + 5):
        stats = record(stats, Lookup(naming.LOOKUP_READ, float(i), f"n{i}.ipynb"), 0.0, True)
    stats = record(stats, Lookup(naming.LOOKUP_READ, 1.0, "n14.ipynb"), 0.0, True)  # shrank
    family = render_paths(_view(stats, 10.0)).families[0]
    kept = {s.labels["path"]: s.value for s in family.samples}
    assert len(kept) == LARGEST_KEPT and kept["n13.ipynb"] == 13.0
    assert kept["n14.ipynb"] == 1.0 and "n4.ipynb" not in kept  # its latest save counts
    assert not render_paths(_view(stats, LARGEST_TTL + 1)).families[0].samples


def test_paths_are_kept_only_when_asked() -> None:
    stats = record(NotebookStats(), Lookup(naming.LOOKUP_READ, 5.0, "a.ipynb"), 0.0, False)
    assert stats.largest == () and stats.sizes.total == 1


def test_findings_add_up_and_every_rule_starts_at_zero() -> None:
    stats = NotebookStats()
    for _ in range(2):
        stats = record(stats, Lookup(naming.LOOKUP_READ, 5.0, "", {"aws_access_key": 1}), 0.0)
    samples = {s.labels["type"]: s.value
               for s in render_secrets(_view(stats, 0.0)).families[0].samples}
    assert samples["aws_access_key"] == 2 and samples["private_key"] == 0
    assert set(samples) == set(scan.rule_labels())
