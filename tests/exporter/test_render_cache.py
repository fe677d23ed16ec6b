"""The exposition cache: one render per poll snapshot, never a stale answer."""

from __future__ import annotations

from dataclasses import replace

import pytest

from exporter.app import RenderCache
from exporter.collectors.base import ExporterView
from exporter.state import TargetState

TEXT = "text/plain; version=0.0.4; charset=utf-8"
OPENMETRICS = "application/openmetrics-text; version=1.0.0; charset=utf-8"


def view(*states: TargetState, now: float = 100.2) -> ExporterView:
    return ExporterView(targets=states, now=now, idle_threshold=1800, version="test",
                        probe_kernel_name="python3", probes_enabled=False)


A, B = TargetState(name="a"), TargetState(name="b")


def cached(first: ExporterView) -> RenderCache:
    cache = RenderCache()
    cache.store(first, TEXT, b"body")
    return cache


@pytest.mark.parametrize(("second", "content_type", "hit"), [
    pytest.param(view(A, B, now=100.9), TEXT, True, id="same snapshots in the same second"),
    pytest.param(view(A, B, now=101.0), TEXT, False, id="the clock moved to the next second"),
    pytest.param(view(A, replace(B, up=True)), TEXT, False, id="a poll replaced one snapshot"),
    pytest.param(view(A, TargetState(name="b")), TEXT, False,
                 id="an equal but new snapshot object (identity, not equality, decides)"),
    pytest.param(view(A), TEXT, False, id="a target went away"),
    pytest.param(view(A, B), OPENMETRICS, False, id="another exposition format"),
])
def test_cache_hits_only_when_nothing_changed(second, content_type, hit):
    cache = cached(view(A, B))
    assert (cache.lookup(second, content_type) == b"body") is hit
