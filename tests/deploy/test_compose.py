"""The one-host compose file: the compose-spec schema and best-practice rules of `dclint`
(npm, bundles the current compose-spec JSON Schema), plus what the stack relies on. Pulling
images and starting the stack needs a container engine, which this machine lacks.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.deploy.tools import CHECK, DEPLOY, node_package, run, tool

COMPOSE = DEPLOY / "compose" / "compose.yaml"
SERVICES = {"jupyter", "exporter", "prometheus", "alertmanager", "grafana"}


def _dclint(path: Path) -> tuple[int, list[str]]:
    package = node_package("dclint")
    result = run([tool("node"), str(package / "bin" / "dclint.cjs"), str(path),
                  "-c", str(CHECK / "dclint.json"), "-f", "json", "--max-warnings", "0"],
                 timeout=60)
    report = json.loads(result.stdout)
    return result.returncode, [f"{m['rule']}: {m['message']}" for f in report
                               for m in f["messages"]]


def _compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


@pytest.mark.timeout(60)
def test_dclint_finds_nothing() -> None:
    assert _dclint(COMPOSE) == (0, [])


@pytest.mark.timeout(60)
@pytest.mark.parametrize(("old", "new", "rule"), [
    pytest.param("    restart: unless-stopped\n", "    restartt: unless-stopped\n",
                 "invalid-schema", id="a misspelt service key breaks the compose-spec schema"),
    pytest.param("      - \"127.0.0.1:9090:9090\"\n", "      - 127.0.0.1:9090:9090\n",
                 "require-quotes-in-ports", id="an unquoted port mapping is reported"),
])
def test_dclint_reports_a_broken_variant(tmp_path, old: str, new: str, rule: str) -> None:
    text = COMPOSE.read_text(encoding="utf-8")
    assert old in text
    broken = tmp_path / "compose.yaml"
    broken.write_text(text.replace(old, new, 1), encoding="utf-8")
    code, messages = _dclint(broken)
    assert code != 0
    assert any(m.startswith(rule) for m in messages), messages


def test_stack_has_every_service_bound_to_loopback() -> None:
    services = _compose()["services"]
    assert set(services) == SERVICES
    for name, service in services.items():
        for port in service.get("ports", []):
            assert port.startswith("127.0.0.1:"), (name, port)


def test_mounted_files_exist_and_secrets_are_deploy_time_files() -> None:
    compose = _compose()
    base = COMPOSE.parent
    for service in compose["services"].values():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith("."):
                assert (base / source).exists(), source
    for secret in compose["secrets"].values():
        assert secret["file"].startswith("./secrets/")
    ignored = (DEPLOY / ".gitignore").read_text(encoding="utf-8").split()
    assert "compose/secrets/" in ignored


def test_exporter_runs_hardened_with_flags_the_exporter_knows() -> None:
    from exporter.cli import build_parser

    exporter = _compose()["services"]["exporter"]
    assert exporter["read_only"] is True
    assert exporter["cap_drop"] == ["ALL"]
    assert not exporter["user"].startswith("0")
    _, unknown = build_parser().parse_known_args(exporter["command"])
    assert unknown == []


@pytest.mark.timeout(60)
@pytest.mark.parametrize(("argv", "config"), [
    pytest.param(["promtool", "check", "config"], "compose/prometheus/prometheus.yml",
                 id="promtool accepts the Prometheus config"),
    pytest.param(["amtool", "check-config"], "generated/alertmanager/alertmanager.yaml",
                 id="amtool accepts the Alertmanager config the stack mounts"),
])
def test_stack_configs_pass_their_own_checkers(argv: list[str], config: str) -> None:
    result = run([tool(argv[0]), *argv[1:], str(DEPLOY / config)])
    assert result.returncode == 0, result.stdout + result.stderr
