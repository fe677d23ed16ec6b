"""The reliability suite: every test here carries `pytest.mark.reliability`, so the main run
(`-m "not reliability"`) deselects it and `pytest -m reliability tests/reliability` runs it
alone. At the end of the session the fault ledger (ledger.py) is printed as a table.

Conventions for the tests in this folder: only loopback; every loop is bounded in count and
time; every test has `@pytest.mark.timeout`; a missing tool (wrk) fails, never skips.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.exporter.servers import JupyterServer, running_server, write_secret
from tests.reliability import ledger

HERE = Path(__file__).resolve().parent


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "reliability: fault-injection suite (tests/reliability)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.reliability)


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    if not ledger.ROWS:
        return
    terminalreporter.write_sep("=", "reliability: faults injected, survived, lost")
    for line in ledger.table(ledger.ROWS):
        terminalreporter.write_line(line)


@pytest.fixture(scope="module")
def jupyter(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterServer]:
    """A real Jupyter Server per module: modules kill, restart and count kernels on it."""
    with running_server(tmp_path_factory.mktemp("jupyter")) as server:
        yield server


@pytest.fixture()
def token_file(jupyter: JupyterServer, tmp_path: Path) -> Path:
    return write_secret(tmp_path / "token", jupyter.token)
