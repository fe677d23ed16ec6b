"""The spec loader under property-based fuzzing: valid specs of every format (native,
Sloth, Sloth's Kubernetes CRD, OpenSLO), mutated by hypothesis (tokens swapped for hostile
YAML, lines dropped, doubled, swapped or re-indented, bytes inserted or cut), then run
through `jupyter-slo rules`. Whatever the mutation, the CLI must give a valid output or a
located `FILE:LINE:COL` error and leave the earlier output untouched; never a traceback
(specfuzz.py judges each run).

Bounded: `MAX_EXAMPLES` examples, derandomized (the same inputs on every run, so CI does not
flake; set JUPYTER_SLO_FUZZ_RANDOM=1 to explore new ones), no example database written.
Bugs found this way keep a test each below (all fixed now: they assert the located error).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import REPO, SHARED
from tests.reliability import ledger
from tests.reliability.specfuzz import KNOWN_BUGS, SENTINEL, reset, run_rules

MAX_EXAMPLES = 300
SEEDS = [REPO / "slo/specs/jupyter.yaml", REPO / "slo/examples/jupyter-sloth.yaml",
         REPO / "tests/slo/specs/good.yaml", REPO / "tests/slo/specs/openslo-v1/valid.yaml",
         SHARED / "conformance/sloth/testdata/in-base-k8s.yaml",
         SHARED / "conformance/sloth/testdata/in-multifile.yaml",
         SHARED / "conformance/sloth/testdata/in-openslo.yaml"]
HOSTILE = ["", "~", "null", "[]", "{}", "-1", "0", "1e400", ".nan", ".inf", "-.inf",
           "99.99999999999999999", "'", '"', ":", "- ", "---", "&a", "*a", "*undefined",
           "!!binary aGk=", "!!python/object:os.system", "!!set {a, b}", "{a: [b, {c: d}]}",
           "\t", "\x00", "\ufeff", "\u2028", "é", "${x}", "{{.Value}}", "rate(x[5m])",
           "sum by (", "}}}", "1" * 5000, "30d", "0s", "-5m", "999999999999999999999d",
           "yes", "no", "on", "2001-01-01", "<<: *a", "? a", "|", ">", "%YAML 1.1", "#",
           "[" * 200, "a: b: c", "\r", "0x1F", "0o17", "+.5", "1_000"]
RANDOM = os.environ.get("JUPYTER_SLO_FUZZ_RANDOM") == "1"

payloads = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=12))
mutation = st.tuples(
    st.sampled_from(["value", "insert", "cut", "dup-line", "drop-line", "swap-lines", "indent",
                     "bad-bytes"]),
    st.floats(0, 1, exclude_max=True), st.floats(0, 1, exclude_max=True), payloads)


def mutate(text: bytes, ops: list[tuple[str, float, float, str]]) -> bytes:
    """Apply each (op, where, where2, payload); positions are fractions of the current text."""
    for op, where, other, payload in ops:
        lines = text.split(b"\n")
        i, j = int(where * len(lines)), int(other * len(lines))
        data = payload.encode("utf-8", "surrogatepass")
        at = int(where * (len(text) + 1))
        if op == "value":
            head, sep, _ = lines[i].partition(b": ")
            lines[i] = head + b": " + data if sep else lines[i] + data
        elif op == "insert":
            text = text[:at] + data + text[at:]
            continue
        elif op == "cut":
            text = text[:at] + text[at + 1 + int(other * 40):]
            continue
        elif op == "dup-line":
            lines.insert(i, lines[i])
        elif op == "drop-line":
            del lines[i]
        elif op == "swap-lines":
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "indent":
            lines[i] = (b"\t" if other < 0.2 else b" " * int(1 + other * 4)) + lines[i] \
                if other < 0.6 else lines[i][int(other * 5):]
        else:  # bad-bytes: not UTF-8
            text = text[:at] + b"\xff\xfe\xc3" + text[at:]
            continue
        text = b"\n".join(lines)
    return text


TALLY: Counter[str] = Counter()


@pytest.mark.timeout(420)
def test_mutated_specs_give_output_or_a_located_error(tmp_path: Path) -> None:
    for seed in SEEDS:
        assert seed.is_file(), f"seed spec missing: {seed}"
    (tmp_path / "in").mkdir()
    (tmp_path / "out").mkdir()
    out = tmp_path / "out" / "rules.yaml"
    broken: list[str] = []

    @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, derandomize=not RANDOM,
              suppress_health_check=list(HealthCheck), print_blob=True)
    @given(seed=st.sampled_from(SEEDS), ops=st.lists(mutation, min_size=1, max_size=4))
    def check(seed: Path, ops: list[tuple[str, float, float, str]]) -> None:
        spec = tmp_path / "in" / seed.name
        spec.write_bytes(mutate(seed.read_bytes(), ops))
        reset(out)
        outcome = run_rules(spec, out)
        TALLY[outcome.kind.split("\n")[0] if outcome.kind.startswith("broken") else outcome.kind] \
            += 1
        if outcome.kind.startswith("broken"):
            broken.append(outcome.kind)
        assert not outcome.kind.startswith("broken"), \
            f"{outcome.kind}\nstderr:\n{outcome.stderr[-2000:]}\nspec:\n{spec.read_bytes()[:3000]!r}"

    with ledger.fault("spec loader: mutated valid specs (hypothesis)") as row:
        try:
            check()
        finally:
            row.injected = sum(TALLY.values())
            row.survived = row.injected - sum(v for k, v in TALLY.items()
                                              if k.startswith("broken"))
            row.lost(", ".join(f"{v} {k}" for k, v in sorted(TALLY.items())))
    assert TALLY["valid"] and TALLY["located"], f"the mutations must reach both ways: {TALLY}"


def _base() -> str:
    return (REPO / "slo/specs/jupyter.yaml").read_text()


def _openslo() -> str:
    return (REPO / "tests/slo/specs/openslo-v1/valid.yaml").read_text()


INLINE_SPEC = "    metadata:\n      name: kernel-starts\n    spec:\n"


def _alias_bomb(levels: int) -> str:
    """Each alias level holds ten of the one before: 10**levels scalars once expanded."""
    anchors = "x0: &a0 [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n" + "".join(
        f"x{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]\n" for i in range(1, levels))
    return _base().replace("labels:\n", anchors + "labels:\n", 1)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("text", [
    pytest.param(_base().replace("objective: 95", "objective: .nan"),
        id="an objective of .nan is a located error, not a traceback"),
    pytest.param(_base().replace("objective: 95", "objective: " + "9" * 5000),
                 id="an integer of 5,000 digits is a located error, not a traceback"),
    pytest.param(_base().replace("owner: platform", "owner: plat\x00form"),
                 id="a NUL byte gives one located line and nothing else"),
    pytest.param(_base().replace("objective: 95", "objective: ~"),
        id="a null objective is a located error, not a traceback"),
    pytest.param(_openslo().replace(INLINE_SPEC, INLINE_SPEC.removesuffix("    spec:\n")),
                 id="an OpenSLO inline indicator without spec is a located error"),
    pytest.param(_base().replace("owner: platform", "~: platform"),
                 id="a null label name is refused, not renamed None"),
])
def test_former_loader_faults_are_located_errors(tmp_path: Path, text: str) -> None:
    assert text.strip() and INLINE_SPEC in _openslo()
    spec, out = tmp_path / "in" / "spec.yaml", tmp_path / "out" / "rules.yaml"
    spec.parent.mkdir()
    out.parent.mkdir()
    spec.write_text(text)
    reset(out)
    outcome = run_rules(spec, out)
    assert outcome.kind == "located", outcome.kind + "\n" + outcome.stderr


@pytest.mark.timeout(60)
def test_a_nested_alias_bomb_is_answered_within_ten_seconds(tmp_path: Path) -> None:
    spec = tmp_path / "bomb.yaml"
    spec.write_text(_alias_bomb(7))
    assert len(_alias_bomb(7)) - len(_base()) < 1024, "the bomb itself is under 1 KiB"
    try:
        run = subprocess.run([sys.executable, "-m", "slo", "rules", "-i", str(spec), "-o",
                              str(tmp_path / "out.yaml")], capture_output=True, text=True,
                             timeout=10, cwd=REPO)
    except subprocess.TimeoutExpired:
        pytest.fail("still loading after 10 s: 1 KiB of aliases added to a 2 KiB spec")
    assert run.returncode in (0, 1) and "Traceback" not in run.stderr


@pytest.mark.timeout(10)
def test_known_bug_list_names_only_xfailed_bugs() -> None:
    text = Path(__file__).read_text()
    for key in KNOWN_BUGS:
        assert f"KNOWN_BUGS {key}" in text, f"{key} has no xfail test naming it"
    assert SENTINEL.startswith("#")
