"""Shared test fixtures: where the shared corpus lives, golden-file updates."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true",
                     help="rewrite golden files from the current output (review the diff)")


@pytest.fixture(scope="session")
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


@pytest.fixture(scope="session")
def conformance() -> Path:
    """Sloth's corpus from ../shared; a missing corpus fails the tests, never skips them."""
    path = SHARED / "conformance" / "sloth"
    assert path.is_dir(), f"conformance corpus missing at {path}"
    return path
