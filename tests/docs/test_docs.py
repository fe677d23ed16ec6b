"""The generated references are fresh, build from a clean clone, and the docs do not rot.

Freshness is `slo.docs_gen.stale()`: regenerate in memory and compare with the files on
disk, the same check as `python -m slo.docs_gen --check` (CI's "regenerate, then diff").
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from exporter import naming
from slo import docs_gen
from slo.cli import main as jupyter_slo

ROOT = Path(__file__).resolve().parents[2]
OUR_DOCS = ["docs/README.md", "docs/slo-authors.md", "docs/sre.md", "docs/on-call.md",
            "deploy/README.md", "docs/reference/metrics.md", "docs/reference/spec.md",
            "docs/reference/explain.md"]
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


@pytest.mark.timeout(120)
def test_generated_files_are_fresh() -> None:
    assert docs_gen.stale(ROOT) == [], "run `python -m slo.docs_gen` and commit the result"


@pytest.mark.timeout(120)
@pytest.mark.parametrize(("attribute", "value"), [
    pytest.param("JUPYTER_SLO_DOCS_PROBE", naming.MetricSpec(
        "jupyter_docs_probe_total", naming.COUNTER, (naming.LABEL_SERVER,), "A new metric."),
        id="a metric added to naming.py without regenerating is caught"),
    pytest.param("UP", naming.MetricSpec(
        naming.UP.name, naming.UP.type, naming.UP.labels, "Reworded help."),
        id="a metric's help changed in naming.py without regenerating is caught"),
])
def test_a_naming_change_without_regenerating_is_caught(monkeypatch, attribute: str,
                                                         value: naming.MetricSpec) -> None:
    monkeypatch.setattr(naming, attribute, value, raising=False)
    assert "docs/reference/metrics.md: stale" in docs_gen.stale(ROOT)


@pytest.mark.timeout(300)
def test_docs_build_from_a_clean_clone(tmp_path) -> None:
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, text=True, check=True, timeout=60).stdout
    clone = tmp_path / "clone"
    generated = {str(docs_gen.GENERATED), *map(str, docs_gen.TARGETS)}
    for name in listed.splitlines():
        if any(name == g or name.startswith(g + "/") for g in generated):
            continue  # built below, from nothing
        source = ROOT / name
        if source.is_file():
            (clone / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, clone / name)
    env = {**os.environ, "PYTHONPATH": str(clone)}
    result = subprocess.run([sys.executable, "-m", "slo.docs_gen"], cwd=clone, env=env,
                            capture_output=True, text=True, timeout=240, check=False)
    assert result.returncode == 0, result.stderr
    assert f"wrote {docs_gen.METRICS_DOC}" in result.stderr
    for path in docs_gen.render(ROOT):
        assert (clone / path).read_text(encoding="utf-8") == \
            (ROOT / path).read_text(encoding="utf-8"), path


@pytest.mark.parametrize("doc", [pytest.param(d, id=f"links in {d} resolve") for d in OUR_DOCS])
def test_relative_links_resolve(doc: str) -> None:
    path = ROOT / doc
    broken = [target for target in LINK.findall(path.read_text(encoding="utf-8"))
              if "://" not in target and not (path.parent / target).exists()]
    assert broken == []


def _spec_blocks() -> list[str]:
    text = (ROOT / "docs" / "slo-authors.md").read_text(encoding="utf-8")
    return [b for b in re.findall(r"```yaml\n(.*?)```", text, re.S)
            if b.startswith("version: jupyter-slo/v1")]


def test_the_authors_guide_has_worked_examples() -> None:
    assert len(_spec_blocks()) == 3


@pytest.mark.parametrize("index", [pytest.param(i, id=f"worked example {i + 1} is a valid spec")
                                   for i in range(3)])
def test_worked_examples_validate(tmp_path, capsys, index: int) -> None:
    spec = tmp_path / "example.yaml"
    spec.write_text(_spec_blocks()[index], encoding="utf-8")
    code = jupyter_slo(["validate", "-i", str(spec)])
    assert code == 0, capsys.readouterr().err
