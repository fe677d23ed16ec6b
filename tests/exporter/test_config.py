"""Flags and config: durations, targets, listen address, and the CLI's exit codes."""

from __future__ import annotations

from pathlib import Path

import pytest

from exporter import cli
from exporter.config import (
    ConfigError,
    Secret,
    parse_duration,
    parse_listen_address,
    parse_target,
)


@pytest.mark.parametrize(("text", "seconds"), [
    pytest.param("15s", 15.0, id="seconds"),
    pytest.param("5m", 300.0, id="minutes"),
    pytest.param("1h30m", 5400.0, id="hours and minutes combine"),
    pytest.param("250ms", 0.25, id="milliseconds"),
    pytest.param("0", 0.0, id="a bare zero disables"),
    pytest.param("2.5", 2.5, id="a bare number is seconds"),
])
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", [
    pytest.param("", id="empty"), pytest.param("5x", id="unknown unit"),
    pytest.param("m5", id="unit first"), pytest.param("-3", id="negative"),
])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ConfigError):
        parse_duration(text)


@pytest.mark.parametrize(("text", "name", "url"), [
    pytest.param("http://127.0.0.1:8888", "127.0.0.1:8888", "http://127.0.0.1:8888/",
                 id="no name gives host:port"),
    pytest.param("lab=http://127.0.0.1:8888/user/al/", "lab", "http://127.0.0.1:8888/user/al/",
                 id="name=URL names the target"),
    pytest.param("http://localhost:9000/base", "localhost:9000/base",
                 "http://localhost:9000/base/", id="the base url joins the default name"),
])
def test_targets(text: str, name: str, url: str) -> None:
    target = parse_target(text, Secret("t0k3n"))
    assert (target.name, target.url) == (name, url)
    assert "t0k3n" not in repr(target)


@pytest.mark.parametrize("text", [
    pytest.param("http://127.0.0.1:8888/?token=abc", id="a token in the URL is refused"),
    pytest.param("ftp://127.0.0.1/", id="only http and https"),
    pytest.param("http://user:pw@127.0.0.1/", id="no credentials in the URL"),
])
def test_bad_targets(text: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_target(text, None)
    assert "abc" not in str(info.value) and "pw" not in str(info.value)


def test_listen_address() -> None:
    assert parse_listen_address(":10888") == ("0.0.0.0", 10888)
    assert parse_listen_address("127.0.0.1:9") == ("127.0.0.1", 9)
    with pytest.raises(ConfigError):
        parse_listen_address("nope")


def test_flags_build_the_config(tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text("s3cret\n")
    args = cli.build_parser().parse_args([
        "--jupyter-url=a=http://127.0.0.1:1/", "--jupyter-url=http://127.0.0.1:2/",
        f"--jupyter-token-file={token}", "--poll-interval=3s", "--probe-interval=0",
        "--idle-threshold=1h", "--no-collector.save_probe", "--log.format=json"])
    config = cli.config_from_args(args)
    assert [t.name for t in config.targets] == ["a", "127.0.0.1:2"]
    assert all(t.token and t.token.value == "s3cret" for t in config.targets)
    assert (config.poll_interval, config.probe_interval, config.idle_threshold) == (3, 0, 3600)
    assert "save_probe" not in config.collectors and "kernels" in config.collectors
    assert config.listen_port == 10888


def test_hub_flags_build_the_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "hub").write_text("hub-secret\n")
    monkeypatch.setenv("CONFIGPROXY_AUTH_TOKEN", "proxy-secret")
    args = cli.build_parser().parse_args([
        "--hub-url=http://127.0.0.1:8081", f"--hub-token-file={tmp_path / 'hub'}",
        "--proxy-api-url=http://127.0.0.1:8001", "--shard=2/3", "--hub.probe-user=probe"])
    config = cli.config_from_args(args)
    assert config.hub is not None and config.targets == ()
    assert config.hub.api_url == "http://127.0.0.1:8081/hub/api/"
    assert config.hub.token.value == "hub-secret"
    assert config.hub.proxy_token.value == "proxy-secret"
    assert (config.shard_index, config.shard_count, config.heavy_every) == (2, 3, 4)
    assert config.hub.probe_users == {"probe"}
    assert "node" not in config.collectors, "node_exporter's job in a Hub deployment"
    assert "secret" not in repr(config)


@pytest.mark.parametrize("argv,on", [
    pytest.param([], {"node"}, id="a single host gets node statistics by default"),
    pytest.param(["--no-collector.node"], set(), id="node statistics turn off"),
    pytest.param(["--collector.gpu", "--collector.kernel_resources"],
                 {"node", "gpu", "kernel_resources"}, id="gpu and per-kernel are opt-in"),
])
def test_optional_collectors(argv: list[str], on: set[str]) -> None:
    args = cli.build_parser().parse_args(["--jupyter-url=http://127.0.0.1:1/", *argv])
    config = cli.config_from_args(args)
    assert config.collectors & {"node", "gpu", "kernel_resources"} == on


@pytest.mark.parametrize("argv", [
    pytest.param(["--hub-url=http://127.0.0.1:8000"],
                 id="Hub mode without the proxy API (never poll through the proxy)"),
    pytest.param(["--hub-url=http://127.0.0.1:8000", "--proxy-api-url=http://127.0.0.1:8001"],
                 id="Hub mode without tokens"),
    pytest.param(["--hub-url=http://127.0.0.1:8000", "--jupyter-url=http://127.0.0.1:1"],
                 id="Hub mode and fixed targets at once"),
    pytest.param(["--shard=4/4"], id="a shard index past the count"),
    pytest.param(["--jupyter-token-file=/nonexistent/token"], id="an unreadable token file"),
    pytest.param(["--jupyter-url=a=http://127.0.0.1:1", "--jupyter-url=a=http://127.0.0.1:2"],
                 id="two targets with one name"),
    pytest.param(["--poll-interval=0"], id="a zero poll interval"),
    pytest.param(["--web.config.file=/nonexistent.yml"], id="an unreadable web config"),
])
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("jupyter-slo exporter: ") and "Traceback" not in err
