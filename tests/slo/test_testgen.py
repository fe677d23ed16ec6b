"""Generated promtool tests: they pass on the generated rules and fail on wrong ones.

They feed every window the same ratio, so they check thresholds, severities, labels and
annotations, not which window a tier reads; test_alert_semantics.py proves the windows.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from slo.cli import main
from tests.slo.promtool import promtool

REPO = Path(__file__).resolve().parents[2]


def run_generated(test: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([promtool(), "test", "rules", test.name], cwd=test.parent,
                          capture_output=True, text=True, timeout=120, check=False)


CASES = [
    pytest.param(REPO / "slo" / "specs" / "jupyter.yaml", [], "jupyter.yaml",
                 id="bundled Jupyter specs, guards and no-data alerts included"),
    pytest.param(Path("testdata/in-base.yaml"), [], "in-base.yaml",
                 id="Sloth spec in default mode"),
    pytest.param(Path("testdata/in-base.yaml"), ["--compat", "sloth"], "in-base.yaml",
                 id="Sloth spec in --compat sloth mode"),
    pytest.param(Path("testdata/in-multifile.yaml"), ["--default-slo-period", "28d"],
                 "in-multifile.yaml", id="two documents over a 28d period"),
]


@pytest.mark.timeout(180)
@pytest.mark.parametrize(("spec", "flags", "name"), CASES)
def test_generated_tests_pass_on_generated_rules(conformance, monkeypatch, tmp_path, spec,
                                                 flags, name):
    monkeypatch.chdir(conformance)
    assert main(["generate", "-i", str(spec), "-o", str(tmp_path), *flags]) == 0
    result = run_generated(tmp_path / "prometheus" / "tests" / name)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


MUTATIONS = [
    pytest.param("(6 * 0.001)", "(7 * 0.001)", id="a page tier's factor changed"),
    pytest.param("(1 * 0.001)", "(1 * 0.002)", id="a ticket tier's budget doubled"),
    pytest.param("sloth_severity: ticket", "sloth_severity: page", id="a ticket labelled page"),
]


@pytest.mark.timeout(180)
@pytest.mark.parametrize(("before", "after"), MUTATIONS)
def test_generated_tests_catch_wrong_rules(tmp_path, before, after):
    spec = REPO / "slo" / "specs" / "jupyter.yaml"
    assert main(["generate", "-i", str(spec), "-o", str(tmp_path)]) == 0
    rules = tmp_path / "prometheus" / "rules" / "jupyter.yaml"
    text = rules.read_text()
    assert before in text
    rules.write_text(text.replace(before, after))
    result = run_generated(tmp_path / "prometheus" / "tests" / "jupyter.yaml")
    assert result.returncode == 1, result.stdout
