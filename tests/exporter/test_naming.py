"""The metric catalogue: DESIGN.md's names all exist, follow the conventions, appear once."""

from __future__ import annotations

import re

import pytest

from exporter import naming
from tests.conftest import SHARED


def test_every_catalogue_metric_in_design_md_is_defined() -> None:
    design = (SHARED / "DESIGN.md").read_text()
    section = design.split("## Exporter metrics", 1)[1].split("Node (`jupyter_node_*`", 1)[0]
    listed = set(re.findall(r"`(jupyter_[a-z_]+)`", section))
    listed = {n for n in listed if not n.endswith("_")}  # `jupyter_server_*` prose
    listed |= {"jupyter_exporter_collector_duration_seconds"}  # written as `/ _duration_seconds`
    defined = {spec.name for spec in naming.ALL_METRICS}
    assert listed - {"jupyter_server"} <= defined


@pytest.mark.parametrize("spec", [pytest.param(s, id=s.name) for s in naming.ALL_METRICS])
def test_names_follow_the_conventions(spec: naming.MetricSpec) -> None:
    assert spec.name.startswith(naming.PREFIX)
    assert not spec.name.startswith("jupyter_server_")
    assert spec.name.endswith("_total") == (spec.type == naming.COUNTER)
    assert re.fullmatch(r"[a-z_][a-z0-9_]*", spec.name)
    assert spec.help and spec.labels == tuple(dict.fromkeys(spec.labels))


def test_no_metric_name_is_defined_twice() -> None:
    names = [spec.name for spec in naming.ALL_METRICS]
    assert len(names) == len(set(names))


def test_startup_buckets_include_the_design_thresholds() -> None:
    assert {0.5, 1, 2, 5, 10, 30, 60} <= set(naming.KERNEL_STARTUP_BUCKETS)
