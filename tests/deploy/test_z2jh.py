"""The Zero to JupyterHub values snippet: the exporter's Hub service, its exact scopes, no
token in the file, and the token key the jupyterhub overlay mounts."""

from __future__ import annotations

import yaml

from tests.deploy.tools import DEPLOY

VALUES = DEPLOY / "z2jh" / "values.yaml"
SERVICE = "jupyter-slo"
# list:users lists ready servers; read:servers reads each server's state; access:servers
# lets the exporter call each user's Jupyter Server API. Nothing that starts, stops, reads
# activity or metrics, or administers.
SCOPES = {"list:users", "read:servers", "access:servers"}


def _values() -> dict:
    return yaml.safe_load(VALUES.read_text(encoding="utf-8"))


def test_service_role_has_exactly_the_scopes_the_exporter_needs() -> None:
    hub = _values()["hub"]
    assert SERVICE in hub["services"]
    role = hub["loadRoles"][SERVICE]
    assert role["services"] == [SERVICE]
    assert set(role["scopes"]) == SCOPES
    assert len(role["scopes"]) == len(SCOPES)


def test_no_token_in_the_values_and_the_overlay_mounts_the_generated_one() -> None:
    service = _values()["hub"]["services"][SERVICE]
    assert {"apiToken", "api_token"}.isdisjoint(service)
    patch = (DEPLOY / "kubernetes/overlays/jupyterhub/exporter/deployment.yaml").read_text()
    assert f"key: hub.services.{SERVICE}.apiToken" in patch
    assert "hub.jupyter.org/network-access-singleuser: \"true\"" in patch
