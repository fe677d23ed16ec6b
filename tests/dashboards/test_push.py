"""`jupyter-slo dashboards push` against a stand-in that follows Grafana's dashboard API:
create, leave alone when unchanged, overwrite by UID, 401, 412 version conflict, and the
token never shown."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dashboards.cli import main
from dashboards.push import comparable
from tests.conftest import REPO
from tests.dashboards.grafana_standin import GrafanaStandIn

TOKEN = "glsa_s3cret-token-value"


@pytest.fixture()
def grafana() -> Iterator[GrafanaStandIn]:
    with GrafanaStandIn(TOKEN) as server:
        yield server


@pytest.fixture()
def out_dir(files: dict[str, str], tmp_path: Path) -> Path:
    directory = tmp_path / "grafana" / "dashboards"
    directory.mkdir(parents=True)
    for name, text in files.items():
        (directory / name).write_text(text, encoding="utf-8")
    return directory


@pytest.fixture()
def token_file(tmp_path: Path) -> Path:
    path = tmp_path / "token"
    path.write_text(TOKEN + "\n")
    path.chmod(0o600)
    return path


def _push(grafana: GrafanaStandIn, out_dir: Path, token_file: Path | None,
          *extra: str) -> list[str]:
    args = ["push", "--grafana-url", grafana.url, "-i", str(out_dir), *extra]
    if token_file is not None:
        args += ["--grafana-token-file", str(token_file)]
    return args


def _local(out_dir: Path) -> dict[str, dict[str, Any]]:
    return {d["uid"]: d for d in (json.loads(p.read_text()) for p in out_dir.glob("*.json"))}


@pytest.mark.timeout(60)
def test_first_push_creates_every_dashboard_as_generated(
        grafana: GrafanaStandIn, out_dir: Path, token_file: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(_push(grafana, out_dir, token_file)) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in out] == ["created"] * 5
    local = _local(out_dir)
    assert {uid: comparable(s.dashboard) for uid, s in grafana.state.dashboards.items()} == \
        {uid: comparable(d) for uid, d in local.items()}
    assert all(post["overwrite"] is True for post in grafana.state.posts)
    assert {auth for _, _, auth in grafana.state.requests} == {f"Bearer {TOKEN}"}


@pytest.mark.timeout(60)
def test_pushing_again_changes_nothing_in_grafana(
        grafana: GrafanaStandIn, out_dir: Path, token_file: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(_push(grafana, out_dir, token_file)) == 0
    versions = {uid: s.version for uid, s in grafana.state.dashboards.items()}
    posts = len(grafana.state.posts)
    capsys.readouterr()
    assert main(_push(grafana, out_dir, token_file)) == 0
    assert [line.split()[0] for line in capsys.readouterr().out.splitlines()] == \
        ["unchanged"] * 5
    assert len(grafana.state.posts) == posts
    assert {uid: s.version for uid, s in grafana.state.dashboards.items()} == versions


@pytest.mark.timeout(60)
def test_a_dashboard_edited_in_grafana_is_overwritten_by_uid(
        grafana: GrafanaStandIn, out_dir: Path, token_file: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(_push(grafana, out_dir, token_file)) == 0
    grafana.state.edit_in_ui("jupyter-slo-overview", title="edited by hand", panels=[])
    capsys.readouterr()
    assert main(_push(grafana, out_dir, token_file)) == 0
    lines = capsys.readouterr().out.splitlines()
    assert sorted(line.split()[0] for line in lines) == ["unchanged"] * 4 + ["updated"]
    stored = grafana.state.dashboards["jupyter-slo-overview"]
    assert comparable(stored.dashboard) == comparable(_local(out_dir)["jupyter-slo-overview"])
    assert stored.version == 3 and len(grafana.state.dashboards) == 5


@pytest.mark.timeout(60)
def test_no_overwrite_reports_the_version_conflict_and_keeps_the_edit(
        grafana: GrafanaStandIn, out_dir: Path, token_file: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(_push(grafana, out_dir, token_file)) == 0
    grafana.state.edit_in_ui("jupyter-slo-debug", title="edited by hand")
    capsys.readouterr()
    assert main(_push(grafana, out_dir, token_file, "--no-overwrite")) == 1
    captured = capsys.readouterr()
    assert "jupyter-slo-debug.json: version conflict (version-mismatch)" in captured.err
    assert "without --no-overwrite" in captured.err
    assert captured.out.count("unchanged") == 4
    assert grafana.state.dashboards["jupyter-slo-debug"].dashboard["title"] == "edited by hand"


@pytest.mark.timeout(60)
def test_folder_uid_is_sent_and_a_folder_move_counts_as_a_change(
        grafana: GrafanaStandIn, out_dir: Path, token_file: Path) -> None:
    assert main(_push(grafana, out_dir, token_file)) == 0
    assert main(_push(grafana, out_dir, token_file, "--folder-uid", "sre")) == 0
    assert {s.folder_uid for s in grafana.state.dashboards.values()} == {"sre"}


@pytest.mark.timeout(60)
@pytest.mark.parametrize(("token", "env", "code", "message"), [
    pytest.param("wrong-token", None, 2, "Grafana refused the token (401 Unauthorized)",
                 id="a rejected token stops the push with exit 2"),
    pytest.param(None, TOKEN, 0, "", id="the token may come from GRAFANA_TOKEN"),
    pytest.param(None, None, 2, "no Grafana token", id="no token at all is a usage error"),
    pytest.param("", None, 2, "is empty", id="an empty token file is a usage error"),
])
def test_token_sources_and_refusal(
        grafana: GrafanaStandIn, out_dir: Path, tmp_path: Path, token: str | None,
        env: str | None, code: int, message: str, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GRAFANA_TOKEN", raising=False)
    if env is not None:
        monkeypatch.setenv("GRAFANA_TOKEN", env)
    path = None
    if token is not None:
        path = tmp_path / "tok"
        path.write_text(token)
    assert main(_push(grafana, out_dir, path)) == code
    captured = capsys.readouterr()
    assert message in captured.err
    for secret in (TOKEN, "wrong-token"):
        assert secret not in captured.out + captured.err
    if code == 2 and token == "wrong-token":
        assert len(grafana.state.requests) == 1  # stops at the first refusal


@pytest.mark.timeout(60)
def test_a_server_error_fails_each_dashboard_and_exits_1(
        grafana: GrafanaStandIn, out_dir: Path, token_file: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    grafana.state.fail_with = 500
    assert main(_push(grafana, out_dir, token_file)) == 1
    err = capsys.readouterr().err
    assert err.count("Grafana refused it (500 Internal Server Error)") == 5


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.timeout(60)
@pytest.mark.parametrize(("args", "message"), [
    pytest.param(["--grafana-url", "http://127.0.0.1:{port}"], "cannot reach Grafana",
                 id="an unreachable Grafana is an I/O error"),
    pytest.param(["--grafana-url", "grafana.local"], "expected http:// or https://",
                 id="a URL without a scheme is a usage error"),
])
def test_usage_and_io_errors_exit_2(out_dir: Path, token_file: Path, args: list[str],
                                    message: str, capsys: pytest.CaptureFixture[str]) -> None:
    args = [a.format(port=_closed_port()) for a in args]
    assert main(["push", *args, "-i", str(out_dir), "--grafana-token-file",
                 str(token_file), "--timeout", "5"]) == 2
    assert message in capsys.readouterr().err


@pytest.mark.timeout(60)
@pytest.mark.parametrize(("make", "message"), [
    pytest.param(lambda d: d / "missing", "not a directory", id="a missing input directory"),
    pytest.param(lambda d: d, "no dashboard files", id="a directory without JSON"),
])
def test_bad_input_directories_exit_2(grafana: GrafanaStandIn, tmp_path: Path,
                                      token_file: Path, make: Any, message: str,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(_push(grafana, make(empty), token_file)) == 2
    assert message in capsys.readouterr().err
    assert grafana.state.requests == []


@pytest.mark.real
@pytest.mark.timeout(120)
def test_python_dash_m_dashboards_push_runs_as_a_process(
        grafana: GrafanaStandIn, out_dir: Path, token_file: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "GRAFANA_TOKEN"}
    done = subprocess.run([sys.executable, "-m", "dashboards", *_push(grafana, out_dir,
                                                                      token_file)],
                          capture_output=True, text=True, timeout=100, cwd=REPO, env=env,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("created") == 5 and TOKEN not in done.stdout + done.stderr
