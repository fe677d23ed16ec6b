"""Rendered overlays, shared by the deploy tests: `kubectl kustomize` runs once per overlay."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import yaml

from tests.deploy.tools import OVERLAYS, run, tool

Rendered = dict[str, Any]


@pytest.fixture(scope="session")
def render() -> Callable[[str], tuple[str, list[dict[str, Any]]]]:
    """`render(overlay)` -> (YAML text, objects); a failed render fails the test."""
    cache: dict[str, tuple[str, list[dict[str, Any]]]] = {}

    def _render(overlay: str) -> tuple[str, list[dict[str, Any]]]:
        if overlay not in cache:
            result = run([tool("kubectl"), "kustomize", str(OVERLAYS[overlay])], timeout=60)
            assert result.returncode == 0, f"kubectl kustomize {overlay}:\n{result.stderr}"
            objects = [d for d in yaml.safe_load_all(result.stdout) if d]
            cache[overlay] = (result.stdout, objects)
        return cache[overlay]

    return _render
