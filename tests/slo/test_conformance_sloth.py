"""`--compat sloth` against Sloth v0.16.0's own integration corpus (../shared/conformance).

Each generate case must print the expected file byte for byte (after rendering the two
template constructs CASES.md describes); each validate case must pass or fail as CASES.md says.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from slo.cli import main
from slo.version import TAG

PLUGINS = str(Path(__file__).parent / "plugins")

GENERATE_CASES = [
    pytest.param([], "in-base.yaml", "out-base.yaml.tpl", id="base prometheus/v1 spec"),
    pytest.param([], "in-base-k8s.yaml", "out-base-k8s.yaml.tpl", id="base Kubernetes spec"),
    pytest.param(["--disable-alerts"], "in-base.yaml", "out-base-no-alerts.yaml.tpl",
                 id="alerts disabled"),
    pytest.param(["--disable-recordings"], "in-base.yaml", "out-base-no-recordings.yaml.tpl",
                 id="recordings disabled"),
    pytest.param(["-l", "exk1=exv1", "-l", "exk2=exv2"], "in-base.yaml",
                 "out-base-extra-labels.yaml.tpl", id="extra labels from the command line"),
    pytest.param(["-p", PLUGINS], "in-sli-plugin.yaml", "out-sli-plugin.yaml.tpl",
                 id="SLI plugin builds the raw query"),
    pytest.param(["-p", PLUGINS], "in-slo-plugin.yaml", "out-slo-plugin.yaml.tpl",
                 id="SLO plugins ordered by priority around the core plugins"),
    pytest.param(["-p", PLUGINS], "in-slo-plugin-k8s.yaml", "out-slo-plugin-k8s.yaml.tpl",
                 id="SLO plugins in a Kubernetes spec"),
    pytest.param([], "in-multifile.yaml", "out-multifile.yaml.tpl",
                 id="two documents in one file"),
    pytest.param([], "in-multifile-k8s.yaml", "out-multifile-k8s.yaml.tpl",
                 id="two Kubernetes documents in one file"),
    pytest.param([], "in-openslo.yaml", "out-openslo.yaml.tpl", id="OpenSLO v1alpha spec"),
    pytest.param(["--default-slo-period", "28d"], "in-base.yaml", "out-base-28d.yaml.tpl",
                 id="built-in 28d period"),
    pytest.param(["--default-slo-period", "7d", "--slo-period-windows-path", "windows"],
                 "in-base.yaml", "out-base-custom-windows-7d.yaml.tpl",
                 id="custom 7d window catalogue"),
]


def expected(conformance: Path, name: str) -> str:
    text = (conformance / "testdata" / name).read_text(encoding="utf-8")
    text = text.replace("{{ .version }}", TAG)
    return re.sub(r'\{\{"(.*?)"\}\}', r"\1", text)


@pytest.mark.parametrize(("flags", "spec", "golden"), GENERATE_CASES)
def test_generate_matches_sloth_byte_for_byte(conformance, monkeypatch, capsys, flags, spec,
                                              golden):
    monkeypatch.chdir(conformance)
    code = main(["rules", "--compat", "sloth", "-i", f"testdata/{spec}", *flags])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert out == expected(conformance, golden)


def test_unknown_spec_version_fails_with_a_clear_error(conformance, monkeypatch, capsys):
    monkeypatch.chdir(conformance)
    code = main(["rules", "--compat", "sloth", "-i", "testdata/in-invalid-version.yaml"])
    out, err = capsys.readouterr()
    assert code == 1
    assert out == ""
    assert err == ('testdata/in-invalid-version.yaml:1:10: unsupported spec version '
                   '"prometheus/v999" (supported: jupyter-slo/v1, prometheus/v1)\n')


GOOD = ["good-aa.yaml", "good-ab.yaml", "good-ba.yaml", "good-k8s.yaml", "good-multi.yaml",
        "good-multi-k8s.yaml", "good-openslo.yaml"]


@pytest.mark.parametrize("name", GOOD)
def test_good_specs_validate(conformance, monkeypatch, capsys, name):
    monkeypatch.chdir(conformance)
    code = main(["validate", "--compat", "sloth", "-i", f"testdata/validate/good/{name}"])
    assert code == 0, capsys.readouterr().err


def test_good_folder_validates_with_duplicates_ignored(conformance, monkeypatch, capsys):
    monkeypatch.chdir(conformance)
    code = main(["validate", "-i", "testdata/validate/good", "--ignore-slo-duplicates"])
    assert code == 0, capsys.readouterr().err


BAD = [
    pytest.param("bad-aa.yaml", "testdata/validate/bad/bad-aa.yaml:28:16: objective: must be "
                 "above 0 and at most 100, got 101", id="objective above 100 (aa)"),
    pytest.param("bad-ab.yaml", "testdata/validate/bad/bad-ab.yaml:28:16: objective: must be "
                 "above 0 and at most 100, got 101", id="objective above 100 (ab)"),
    pytest.param("bad-ba.yaml", "testdata/validate/bad/bad-ba.yaml:28:16: objective: must be "
                 "above 0 and at most 100, got 101", id="objective above 100 (ba)"),
    pytest.param("bad-k8s.yaml", "testdata/validate/bad/bad-k8s.yaml:7:12: service: required",
                 id="empty service in a Kubernetes spec"),
    pytest.param("bad-multi-k8s.yaml", "testdata/validate/bad/bad-multi-k8s.yaml:22:15: "
                 "alerting.name: required unless both alerts are disabled",
                 id="empty alert name in the second document"),
    pytest.param("bad-multi.yaml", "testdata/validate/bad/bad-multi.yaml:77:10: sli: one SLI "
                 "type (events, raw or plugin) is required", id="empty SLI in the second document"),
]


@pytest.mark.parametrize(("name", "message"), BAD)
def test_bad_specs_fail_at_the_faulty_line(conformance, monkeypatch, capsys, name, message):
    monkeypatch.chdir(conformance)
    code = main(["validate", "--compat", "sloth", "-i", f"testdata/validate/bad/{name}"])
    err = capsys.readouterr().err
    assert code == 1
    errors = [line for line in err.splitlines() if ": warning: " not in line]
    assert errors == [message]


def test_bad_openslo_with_28d_window_is_valid_now(conformance, monkeypatch, capsys):
    monkeypatch.chdir(conformance)
    code = main(["validate", "-i", "testdata/validate/bad/bad-openslo.yaml"])
    assert code == 0, capsys.readouterr().err


DUPLICATES = [
    pytest.param(["testdata/validate_with_duplicates/bad-prom-multi-duplicates.yaml"],
                 id="two documents of one file"),
    pytest.param(["testdata/validate_with_duplicates/prom"], id="two prometheus/v1 files"),
    pytest.param(["testdata/validate_with_duplicates/k8s"], id="two Kubernetes files"),
    pytest.param(["testdata/validate_with_duplicates/openslo"], id="two OpenSLO files"),
]


@pytest.mark.parametrize("paths", DUPLICATES)
def test_duplicate_slo_ids_fail(conformance, monkeypatch, capsys, paths):
    monkeypatch.chdir(conformance)
    args = ["validate"] + [a for p in paths for a in ("-i", p)]
    assert main(args) == 1
    assert "is duplicated: also declared in" in capsys.readouterr().err
    assert main([*args, "--ignore-slo-duplicates"]) == 0
