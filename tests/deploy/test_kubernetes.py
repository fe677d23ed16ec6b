"""The kustomize overlays render, validate offline, and keep the deployment rules.

Core kinds: `kubernetes_validate.validate(strict=True)` (the library behind
`kubernetes-validate --strict`; unknown fields are errors) against the oldest Kubernetes the
sharded overlay supports (1.28, pod-index label) and the newest the package ships.
prometheus-operator kinds: the CRD schemas of `@kubernetes-models/prometheus-operator`
through `deploy/check/validate-crds.mjs`. Each validator is also shown to reject a broken
object, so a green run means something.
"""

from __future__ import annotations

import base64
import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from slo.version import __version__
from tests.deploy.tools import CHECK, ROOT, node_package, run, tool

try:
    import kubernetes_validate
except ImportError:  # the tests that need it fail with the install command
    kubernetes_validate = None

K8S_VERSIONS = ("1.28.0", "1.37.0")
OPERATOR_KINDS = {"PrometheusRule", "ServiceMonitor"}
WORKLOAD_KINDS = {"Deployment", "StatefulSet"}
GENERATED = ROOT / "deploy" / "generated"

EXPECTED_KINDS = {
    "base": {"ServiceAccount", "Deployment", "Service", "ServiceMonitor", "NetworkPolicy",
             "PrometheusRule", "ConfigMap", "Secret"},
    "jupyterhub": {"ServiceAccount", "Deployment", "Service", "ServiceMonitor", "NetworkPolicy",
                   "PrometheusRule", "ConfigMap", "Secret"},
    "sharded": {"ServiceAccount", "StatefulSet", "Service", "ServiceMonitor", "NetworkPolicy",
                "PrometheusRule", "ConfigMap", "Secret"},
}
OVERLAY_PARAMS = [
    pytest.param("base", id="the base (single-server mode)"),
    pytest.param("jupyterhub", id="the jupyterhub overlay (fleet mode)"),
    pytest.param("sharded", id="the sharded overlay (fleet mode, N replicas)"),
]


def _validator() -> Any:
    if kubernetes_validate is None:
        pytest.fail("kubernetes-validate is not installed: "
                    ".venv/bin/pip install kubernetes-validate==1.37.0")
    return kubernetes_validate


def _workload(objects: list[dict[str, Any]]) -> dict[str, Any]:
    (workload,) = [o for o in objects if o["kind"] in WORKLOAD_KINDS]
    return workload


def _container(objects: list[dict[str, Any]]) -> dict[str, Any]:
    (container,) = _workload(objects)["spec"]["template"]["spec"]["containers"]
    return container


@pytest.mark.timeout(120)
@pytest.mark.parametrize("overlay", OVERLAY_PARAMS)
def test_overlay_renders_the_expected_kinds(render, overlay: str) -> None:
    _, objects = render(overlay)
    assert {o["kind"] for o in objects} == EXPECTED_KINDS[overlay]


@pytest.mark.timeout(120)
@pytest.mark.parametrize("version", [pytest.param(v, id=f"Kubernetes {v}")
                                     for v in K8S_VERSIONS])
@pytest.mark.parametrize("overlay", OVERLAY_PARAMS)
def test_core_kinds_validate_strictly(render, overlay: str, version: str) -> None:
    kv = _validator()
    _, objects = render(overlay)
    no_schema, errors = set(), []
    for obj in objects:
        try:
            kv.validate(obj, version, strict=True)
        except kv.SchemaNotFoundError:
            no_schema.add(obj["kind"])
        except kv.ValidationError as exc:
            errors.append(f"{obj['kind']}/{obj['metadata']['name']}: {exc.message} "
                          f"at {list(exc.path)}")
    assert errors == []
    # Only the prometheus-operator kinds lack a core schema; the next test covers them.
    assert no_schema == OPERATOR_KINDS


def _validate_crds(text: str) -> tuple[int, list[dict[str, Any]]]:
    node_package("@kubernetes-models/prometheus-operator")
    result = run([tool("node"), str(CHECK / "validate-crds.mjs")], stdin=text, timeout=60)
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    assert result.stderr == "", result.stderr
    return result.returncode, lines


@pytest.mark.timeout(120)
@pytest.mark.parametrize("overlay", OVERLAY_PARAMS)
def test_operator_kinds_validate_against_their_crd_schemas(render, overlay: str) -> None:
    text, _ = render(overlay)
    code, lines = _validate_crds(text)
    assert [line for line in lines if not line["ok"]] == []
    assert code == 0
    assert {line["kind"] for line in lines} == OPERATOR_KINDS


BROKEN_RULE = """\
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: {name: broken}
spec:
  groups:
    - name: g
      rules:
        - alert: NoExpression
          for: 5x
"""
UNKNOWN_KIND = """\
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRuleTypo
metadata: {name: typo}
"""


@pytest.mark.timeout(60)
@pytest.mark.parametrize(("text", "code", "needle"), [
    pytest.param(BROKEN_RULE, 1, "must have required property expr",
                 id="a rule without expr and with a bad duration is rejected"),
    pytest.param(UNKNOWN_KIND, 2, "no schema for",
                 id="a kind with no CRD schema fails instead of passing unchecked"),
])
def test_crd_validator_rejects_broken_objects(text: str, code: int, needle: str) -> None:
    got, lines = _validate_crds(text)
    assert got == code
    assert needle in lines[0]["error"]


@pytest.mark.timeout(120)
@pytest.mark.parametrize(("mutate", "needle"), [
    pytest.param(lambda c: c.__setitem__("imagee", "typo"), "imagee",
                 id="an unknown container field is rejected in strict mode"),
    pytest.param(lambda c: c["ports"][0].__setitem__("containerPort", "metrics"),
                 "is not of type", id="a port given as a name where a number is due"),
])
def test_strict_validation_rejects_a_broken_deployment(render, mutate, needle: str) -> None:
    kv = _validator()
    _, objects = render("base")
    broken = copy.deepcopy(_workload(objects))
    mutate(broken["spec"]["template"]["spec"]["containers"][0])
    with pytest.raises(kv.ValidationError) as info:
        kv.validate(broken, K8S_VERSIONS[-1], strict=True)
    assert needle in info.value.message


@pytest.mark.timeout(120)
@pytest.mark.parametrize("overlay", OVERLAY_PARAMS)
def test_workload_is_hardened_and_probed(render, overlay: str) -> None:
    _, objects = render(overlay)
    pod = _workload(objects)["spec"]["template"]["spec"]
    container = _container(objects)
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] != 0
    assert pod["automountServiceAccountToken"] is False
    security = container["securityContext"]
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"]["drop"] == ["ALL"]
    for kind in ("requests", "limits"):
        assert set(container["resources"][kind]) == {"cpu", "memory"}
    for probe in ("livenessProbe", "readinessProbe"):
        assert container[probe]["httpGet"]["path"] == "/healthz"
    assert container["image"] == f"jupyter-slo:{__version__}"


SECRET_KEYS = {"password", "auth_password", "api_key", "api_secret", "routing_key",
               "service_key", "bot_token", "token", "credentials", "api_url", "webhook_url"}


def _keys(node: Any) -> set[str]:
    if isinstance(node, dict):
        return set(node) | {k for v in node.values() for k in _keys(v)}
    if isinstance(node, list):
        return {k for v in node for k in _keys(v)}
    return set()


@pytest.mark.timeout(120)
@pytest.mark.parametrize("overlay", OVERLAY_PARAMS)
def test_no_secret_is_written_into_the_manifests(render, overlay: str) -> None:
    _, objects = render(overlay)
    secrets = [o for o in objects if o["kind"] == "Secret"]
    assert [s["metadata"]["name"] for s in secrets] == ["jupyter-slo-alertmanager"]
    config = yaml.safe_load(base64.b64decode(secrets[0]["data"]["alertmanager.yaml"]))
    assert _keys(config) & SECRET_KEYS == set()
    # The exporter's tokens come from Secrets that the manifests do not define.
    volumes = _workload(objects)["spec"]["template"]["spec"]["volumes"]
    mounted = {v["secret"]["secretName"] for v in volumes if "secret" in v}
    assert mounted and mounted.isdisjoint(s["metadata"]["name"] for s in secrets)


@pytest.mark.timeout(120)
@pytest.mark.parametrize("overlay", OVERLAY_PARAMS)
def test_dashboards_ship_as_sidecar_configmaps(render, overlay: str) -> None:
    _, objects = render(overlay)
    maps = [o for o in objects if o["kind"] == "ConfigMap"]
    files = {p.name: p for p in (GENERATED / "grafana" / "dashboards").glob("*.json")}
    assert len(maps) == len(files) == 5
    for cm in maps:
        assert cm["metadata"]["labels"]["grafana_dashboard"] == "1"
        (name, body), = cm["data"].items()
        assert json.loads(body) == json.loads(files[name].read_text(encoding="utf-8"))


@pytest.mark.timeout(120)
@pytest.mark.parametrize("overlay", [
    pytest.param("jupyterhub", id="the jupyterhub overlay"),
    pytest.param("sharded", id="the sharded overlay"),
])
def test_fleet_mode_reaches_z2jh_through_its_network_policies(render, overlay: str) -> None:
    _, objects = render(overlay)
    labels = _workload(objects)["spec"]["template"]["metadata"]["labels"]
    for access in ("hub", "proxy-api", "singleuser"):
        assert labels[f"hub.jupyter.org/network-access-{access}"] == "true"
    args = _container(objects)["args"]
    assert any(a.startswith("--hub-url=") for a in args)
    assert any(a.startswith("--hub-token-file=") for a in args)
    (policy,) = [o for o in objects if o["kind"] == "NetworkPolicy"]
    assert policy["spec"]["policyTypes"] == ["Ingress", "Egress"]
    egress_ports = {p["port"] for rule in policy["spec"]["egress"] for p in rule["ports"]}
    assert egress_ports == {53, 8081, 8001, 8888}


@pytest.mark.timeout(120)
def test_sharded_replicas_match_the_shard_count_and_the_fleet_pod(render) -> None:
    _, sharded = render("sharded")
    _, fleet = render("jupyterhub")
    workload = _workload(sharded)
    (shard,) = [a for a in _container(sharded)["args"] if a.startswith("--shard=")]
    assert shard == f"--shard=$(SHARD_INDEX)/{workload['spec']['replicas']}"
    env = {e["name"]: e for e in _container(sharded)["env"]}
    assert env["SHARD_INDEX"]["valueFrom"]["fieldRef"]["fieldPath"] == \
        "metadata.labels['apps.kubernetes.io/pod-index']"
    from exporter.sharding import parse_shard

    count = workload["spec"]["replicas"]
    shards = [parse_shard(shard.removeprefix("--shard=").replace("$(SHARD_INDEX)", str(i)))
              for i in range(count)]
    assert [(s.index, s.count) for s in shards] == [(i, count) for i in range(count)]
    # Apart from the shard, the StatefulSet's pod is the jupyterhub overlay's pod.
    pod = copy.deepcopy(workload["spec"]["template"])
    container = pod["spec"]["containers"][0]
    container.pop("env")
    container["args"].remove(shard)
    assert pod == _workload(fleet)["spec"]["template"]


def _unknown_flags(args: list[str]) -> list[str]:
    from exporter.cli import build_parser

    _, unknown = build_parser().parse_known_args(args)
    return unknown


@pytest.mark.timeout(120)
@pytest.mark.parametrize("overlay", OVERLAY_PARAMS)
def test_exporter_args_are_flags_the_exporter_knows(render, overlay: str) -> None:
    _, objects = render(overlay)
    assert _unknown_flags(_container(objects)["args"]) == []


def test_image_tag_follows_the_package_version() -> None:
    text = (ROOT / "deploy/kubernetes/base/exporter/kustomization.yaml").read_text()
    assert f"newTag: {__version__}" in text
    assert Path(ROOT / "deploy/kubernetes/overlays/sharded/statefulset.yaml").read_text() \
        .count(f"image: jupyter-slo:{__version__}") == 1
