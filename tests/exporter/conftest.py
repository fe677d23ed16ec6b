"""Fixtures for the exporter tests: one real Jupyter Server shared by the session.

Tests that stop or reconfigure a server make their own with `make_server`; everything else
shares `jupyter`, and compares counters before and after instead of assuming a clean slate.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.exporter.servers import JupyterServer, running_server, write_secret


@pytest.fixture(scope="session")
def jupyter(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterServer]:
    with running_server(tmp_path_factory.mktemp("jupyter")) as server:
        yield server


@pytest.fixture()
def token_file(jupyter: JupyterServer, tmp_path: Path) -> Path:
    return write_secret(tmp_path / "token", jupyter.token)
