"""JSON Schemas: fresh, accepting every valid spec we have, rejecting malformed native specs."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from slo.cli import main
from slo.loaders.discover import detect
from slo.model import SpecKind
from slo.schema import SCHEMA_DIR, SCHEMAS, text
from slo.yamlsource import split_documents

REPO = Path(__file__).resolve().parents[2]
SCHEMA_FOR = {
    SpecKind.NATIVE_V1: "jupyter-slo-v1",
    SpecKind.SLOTH_V1: "sloth-prometheus-v1",
    SpecKind.SLOTH_K8S: "sloth-k8s-v1",
    SpecKind.OPENSLO_V1ALPHA: "openslo-v1alpha",
    SpecKind.OPENSLO_V1: "openslo-v1",
}


def validator(name: str) -> jsonschema.Draft7Validator:
    schema = json.loads((SCHEMA_DIR / f"{name}.schema.json").read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_schema_files_are_fresh(name):
    assert (SCHEMA_DIR / f"{name}.schema.json").read_text() == text(name), (
        "run `python -m slo.schema --write`")


def valid_specs(conformance: Path) -> list[Path]:
    corpus = conformance / "testdata"
    return [
        *sorted(corpus.glob("in-*.yaml")), *sorted((corpus / "validate" / "good").glob("*")),
        REPO / "slo" / "specs" / "jupyter.yaml", REPO / "slo" / "examples" / "jupyter-sloth.yaml",
        REPO / "tests" / "slo" / "specs" / "good.yaml",
        REPO / "tests" / "slo" / "specs" / "openslo-v1" / "valid.yaml",
    ]


def test_every_valid_spec_is_accepted(conformance):
    checked = 0
    for path in valid_specs(conformance):
        if path.name == "in-invalid-version.yaml":
            continue
        for document in split_documents(path.read_text(), str(path)):
            kind = detect(document.text)
            assert kind is not None, path
            errors = list(validator(SCHEMA_FOR[kind]).iter_errors(yaml.safe_load(document.text)))
            assert not errors, f"{path}: {[e.message for e in errors]}"
            checked += 1
    assert checked >= 20


def test_alert_windows_files_are_accepted(conformance):
    for path in [*sorted((REPO / "slo" / "windows").glob("*.yaml")),
                 conformance / "windows" / "7d.yaml"]:
        assert not list(validator("sloth-alert-windows").iter_errors(
            yaml.safe_load(path.read_text()))), path


GOOD_NATIVE = {
    "version": "jupyter-slo/v1", "service": "jupyter",
    "slos": [{"name": "saves", "objective": 99.9, "sli": {"preset": {"name": "notebook-saves"}},
              "alerting": {"name": "Saves", "for": "2m", "min_events": 5}}],
}


def mutated(path: tuple, value: object) -> dict:
    doc = json.loads(json.dumps(GOOD_NATIVE))
    target = doc
    for key in path[:-1]:
        target = target[key]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return doc


MALFORMED = [
    pytest.param(("slos", 0, "objective"), "99.9", id="objective as a string"),
    pytest.param(("slos", 0, "objective"), 101, id="objective above 100"),
    pytest.param(("slos", 0, "alerting", "min_events"), 1.5, id="min_events not an integer"),
    pytest.param(("slos", 0, "alerting", "for"), "soon", id="for not a duration"),
    pytest.param(("service",), KeyError, id="service missing"),
    pytest.param(("slos", 0, "sli"), KeyError, id="sli missing"),
    pytest.param(("slos", 0, "sli"), {}, id="sli with no kind"),
    pytest.param(("slos", 0, "sli", "raw"), {"error_ratio_query": "x[{{.window}}]"},
                 id="two SLI kinds"),
    pytest.param(("slos", 0, "objectve"), 99, id="unknown key on an SLO"),
    pytest.param(("slos", 0, "sli", "preset", "name"), "kernel-happiness", id="unknown preset"),
    pytest.param(("slos", 0, "labels"), {"team": ""}, id="empty label value"),
    pytest.param(("version",), "jupyter-slo/v2", id="wrong version"),
    pytest.param(("slos", 0, "objectives"), [99], id="objective and objectives together"),
    pytest.param(("slos", 0, "objective"), KeyError, id="no objective at all"),
]


@pytest.mark.parametrize(("path", "value"), MALFORMED)
def test_malformed_native_specs_are_rejected(path, value):
    assert not list(validator("jupyter-slo-v1").iter_errors(GOOD_NATIVE))
    assert list(validator("jupyter-slo-v1").iter_errors(mutated(path, value)))


def test_schema_command_prints_the_file(capsys):
    assert main(["schema", "sloth-prometheus-v1"]) == 0
    assert capsys.readouterr().out == (SCHEMA_DIR / "sloth-prometheus-v1.schema.json").read_text()
