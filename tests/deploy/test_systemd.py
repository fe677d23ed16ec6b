"""The systemd unit: `systemd-analyze verify` (which checks directives and that ExecStart is
executable) must print nothing. The unit's install path is swapped for this checkout's venv,
where `jupyter-slo` really exists; systemd need not be PID 1 for `verify`.
"""

from __future__ import annotations

import shlex

import pytest

from tests.deploy.tools import DEPLOY, VENV_BIN, run, tool

UNIT = DEPLOY / "systemd" / "jupyter-slo-exporter.service"
INSTALLED = "/opt/jupyter-slo/bin/jupyter-slo"


def _verify(tmp_path, text: str) -> str:
    unit = tmp_path / UNIT.name
    unit.write_text(text.replace(INSTALLED, str(VENV_BIN / "jupyter-slo")), encoding="utf-8")
    result = run([tool("systemd-analyze"), "verify", str(unit)], timeout=60)
    return (f"rc={result.returncode} " if result.returncode else "") + \
        result.stdout + result.stderr


@pytest.mark.timeout(60)
def test_unit_verifies_without_a_word(tmp_path) -> None:
    text = UNIT.read_text(encoding="utf-8")
    assert INSTALLED in text
    assert _verify(tmp_path, text) == ""


@pytest.mark.timeout(60)
@pytest.mark.parametrize(("old", "new", "needle"), [
    pytest.param("NoNewPrivileges=yes", "NoNewPrivilegez=yes", "Unknown key",
                 id="a misspelt directive is reported"),
    pytest.param("Type=exec", "Type=sometimes", "Failed to parse",
                 id="an invalid value is reported"),
])
def test_verify_reports_a_broken_unit(tmp_path, old: str, new: str, needle: str) -> None:
    text = UNIT.read_text(encoding="utf-8")
    assert old in text
    assert needle in _verify(tmp_path, text.replace(old, new))


def test_unit_runs_the_exporter_unprivileged_with_a_credential_token() -> None:
    from exporter.cli import build_parser

    lines = dict(line.split("=", 1) for line in UNIT.read_text(encoding="utf-8").splitlines()
                 if "=" in line and not line.startswith("#"))
    assert lines["DynamicUser"] == "yes"
    argv = shlex.split(lines["ExecStart"])
    assert argv[:2] == [INSTALLED, "exporter"]
    assert "--jupyter-token-file=${CREDENTIALS_DIRECTORY}/jupyter-token" in argv
    assert lines["LoadCredential"].startswith("jupyter-token:")
    _, unknown = build_parser().parse_known_args(argv[2:])
    assert unknown == []
