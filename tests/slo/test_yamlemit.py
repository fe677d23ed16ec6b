"""`slo.yamlemit` against the PyYAML path it replaces (`slo.render.libyaml_dump`), byte for byte.

Named edge cases first, then hypothesis over random strings and structures, then every
document the conformance corpus and our own specs make. Where `yamlemit` declines
(`Unsupported`), `render.dump` must still give PyYAML's text, or PyYAML's error.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slo import render, yamlemit
from slo.cli import main

PLUGINS = str(Path(__file__).parent / "plugins")
REPO = Path(__file__).resolve().parents[2]

LONG = "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt"


def reference(data: Any, sort_keys: bool = False) -> str:
    return render.libyaml_dump(data, sort_keys=sort_keys)


def outcome(dump: Any, data: Any, sort_keys: bool = False) -> tuple[str, str]:
    """The text written, or the type of the error raised."""
    try:
        return "text", dump(data, sort_keys=sort_keys)
    except Exception as exc:  # the comparison is the point, whatever the error
        return "error", type(exc).__name__


CASES = [
    pytest.param({"a": "plain words, stay plain"}, id="plain words stay plain"),
    pytest.param({"k": ["true", "on", "No", "yes", "OFF", "y", "n"]},
                 id="strings that read as booleans are double-quoted"),
    pytest.param({"k": ["1", "1.5", "-5", "+3", "0x1F", "0o17", "1_000", ".inf", "-.Inf", ".NaN",
                        "1e3", "6.8523015e+5", "190:20:30"]},
                 id="strings that read as numbers are double-quoted"),
    pytest.param({"k": ["", "~", "null", "Null", "NULL"]},
                 id="empty and null-like strings are double-quoted"),
    pytest.param({"k": ["2001-12-14", "2001-12-14t21:59:43.10-05:00", "2002-12-14 21:59:43"]},
                 id="timestamps are double-quoted"),
    pytest.param({"k": ["<<", "=", "!", "&", "*"]},
                 id="merge, value and lone indicator strings are double-quoted"),
    pytest.param({"k": [c + "x" for c in "#,[]{}&*!|>'\"%@`"]},
                 id="an indicator first forces single quotes"),
    pytest.param({"k": ["- a", "? a", ": a", "-", "?", ":", "-a", "?a", ":a", "a-", "a?"]},
                 id="dash question mark and colon first are quoted only before a space"),
    pytest.param({"k": ["a: b", "a:", "a:b", "a::b", "http://x:80/y"]},
                 id="a colon is quoted only before a space or at the end"),
    pytest.param({"k": ["a #b", "a#b", "#", "a #"]},
                 id="a hash is quoted only after a space"),
    pytest.param({"k": [" a", "a ", " ", "  a  "]},
                 id="leading and trailing spaces force single quotes"),
    pytest.param({"k": ["---", "--- x", "---x", "...", "...x", "--", ".."]},
                 id="three dashes or dots first force single quotes"),
    pytest.param({"k": ["'quoted' words", "it's", "''", "'"]},
                 id="single quotes are doubled inside single quotes"),
    pytest.param({"k": ["a\x01b", "\t", "a\tb", "\x7f", "\x1b", "\0", "\x08\x07\x0b\x0c",
                        "a\rb", '"\\', 'a"b\\c\x01']},
                 id="control characters force double quotes with libyaml's escapes"),
    pytest.param({"k": ["\x85", "a\x85b", "\ufeff", "\ufffe", "\uffff", "\x9f"]},
                 id="NEL, BOM and non-characters are escaped"),
    pytest.param({"k": ["😀", "a 😀 b", "\U0010fffd"]},
                 id="characters beyond the BMP are escaped"),
    pytest.param({"k": ["naïve – 東京", "\xa0", "a\xa0b", "€100", "\ue000\ufffd"]},
                 id="printable non-ASCII is written as is"),
    pytest.param({"k": "a\nb\n"}, id="multi-line text is a literal block"),
    pytest.param({"k": "a\nb"}, id="no final line break gives strip chomping"),
    pytest.param({"k": "a\n\n"},
                 id="two final line breaks give keep chomping and end the document"),
    pytest.param({"k": "\n"}, id="a lone line break is kept"),
    pytest.param({"k": "\n\n\n"}, id="only line breaks"),
    pytest.param({"a": "x\n\n", "b": "c"},
                 id="keep chomping earlier in the document still ends it open-ended"),
    pytest.param({"a": "x\n\n", "b": "y\n"}, id="a later literal block closes the document again"),
    pytest.param({"k": "  a\nb\n"}, id="a leading space adds an indentation indicator"),
    pytest.param({"k": "\na"}, id="a leading line break adds an indentation indicator"),
    pytest.param({"k": "a\n\n\nb\n"}, id="empty lines inside a literal block stay empty"),
    pytest.param({"k": "a\n  b\n   c"}, id="indented lines stay literal"),
    pytest.param({"k": ["a \nb", "a\nb ", "a\n \nb", "a\n\x01"]},
                 id="trailing spaces or control characters in multi-line text force double quotes"),
    pytest.param({"k": "a\n b\n"}, id="a line break followed by a space stays literal"),
    pytest.param({"k": LONG + " " + LONG}, id="a long plain value folds past column 80"),
    pytest.param({"k" * n: LONG for n in (1, 5, 10, 20, 40, 70)},
                 id="where a value folds depends on its key"),
    pytest.param({"a": [LONG * 2, {"b": LONG * 2, "c": {"d": LONG * 2}}], "e": [[LONG * 2]]},
                 id="folded lines continue 2 deeper than their container"),
    pytest.param({"k": "x" * 85 + "  y z " + "w" * 90 + " v"},
                 id="runs of spaces are never split"),
    pytest.param({"k": "x" * 100}, id="a long word is never split"),
    pytest.param({"k": "- " + LONG * 2}, id="a long single-quoted value folds"),
    pytest.param({"k": "'it''s' " + LONG * 2}, id="folding counts doubled quotes"),
    pytest.param({"k": "\t" + LONG * 2}, id="a long double-quoted value folds"),
    pytest.param({"k": "\t" + "x" * 80 + "  y " + "z" * 80 + "   w"},
                 id="a folded double-quoted line keeps its leading space with a backslash"),
    pytest.param({"k": "\x01" * 30 + " " + "é\x02" * 30 + " " + LONG},
                 id="escapes count in the column of double-quoted values"),
    pytest.param({"k": "\t" + "x" * 90 + " "},
                 id="a double-quoted value never folds at its last space"),
    pytest.param({"k": [LONG + "\n" + LONG * 2]}, id="literal blocks never fold"),
    pytest.param({LONG + " " + LONG[:30]: LONG}, id="keys never fold"),
    pytest.param({"a: b": 1, "": 2, "true": 3, "- x": 4, "#": 5, " k": 6, "k\x01": 7, "é": 8},
                 id="keys are quoted like values"),
    pytest.param({"k" * 128: "v", "é" * 64: "v"}, id="keys of 128 bytes are still simple"),
    pytest.param({"a": {}, "b": [], "c": [{}, []], "d": {"e": {}}},
                 id="empty containers are written in flow style"),
    pytest.param({"a": ["x", ["y", "z"], {"b": ["c"]}]},
                 id="sequences in mappings are not indented, in sequences they start on the dash"),
    pytest.param([{"a": 1, "b": {"c": 2}}, [{"d": 3}], "e"],
                 id="a top-level sequence of mappings and sequences"),
    pytest.param({"none": None, "yes": True, "no": False, "int": -12, "big": 10**30, "zero": 0},
                 id="None booleans and ints are written as PyYAML writes them"),
    pytest.param({}, id="an empty document mapping"),
    pytest.param([], id="an empty document sequence"),
    pytest.param({"expr": "sum(rate(x{a=\"b\"}[5m]))\n/\nsum(rate(x[5m]))\n",
                  "labels": {"sloth_id": "svc-slo", "sloth_objective": "99.9",
                             "sloth_window": "5m"},
                  "annotations": {"summary": "{{$labels.sloth_service}} burns " + LONG}},
                 id="a typical rule"),
]


@pytest.mark.parametrize("data", CASES)
def test_edge_case_matches_pyyaml(data):
    assert yamlemit.dump(data) == reference(data)


@pytest.mark.parametrize("data", CASES)
def test_edge_case_with_sorted_keys_matches_pyyaml(data):
    assert yamlemit.dump(data, sort_keys=True) == reference(data, sort_keys=True)


FALLBACKS = [
    pytest.param({"k": 1.5}, id="a float"),
    pytest.param({"k": float("nan")}, id="NaN"),
    pytest.param({"k": (1, 2)}, id="a tuple"),
    pytest.param({"k": OrderedDict(a=1)}, id="a dict subclass"),
    pytest.param({1: "int key"}, id="an int key"),
    pytest.param({None: "null key"}, id="a None key"),
    pytest.param({"a\nb": "v"}, id="a multi-line key"),
    pytest.param({"a\rb": "v"}, id="a key with a carriage return"),
    pytest.param({"k" * 129: "v"}, id="a key over 128 bytes"),
    pytest.param({"é" * 65: "v"}, id="a key over 128 bytes in UTF-8"),
    pytest.param({"k": "a\u2028b"}, id="a line separator"),
    pytest.param({"k\u2029": "v"}, id="a paragraph separator in a key"),
    pytest.param({"k": "\udc80"}, id="a lone surrogate"),
    pytest.param("text", id="a scalar document"),
]


@pytest.mark.parametrize("data", FALLBACKS)
def test_unsupported_values_fall_back_to_pyyaml(data):
    with pytest.raises(yamlemit.Unsupported):
        yamlemit.dump(data)
    assert outcome(render.dump, data) == outcome(render.libyaml_dump, data)


def test_mixed_key_types_with_sorted_keys_fall_back():
    data = {"a": 1, 2: "b"}
    with pytest.raises(yamlemit.Unsupported):
        yamlemit.dump(data, sort_keys=True)
    assert render.dump(data, sort_keys=True) == reference(data, sort_keys=True)


# --- hypothesis -------------------------------------------------------------------------------

# Characters that decide styles: indicators, spaces and breaks, quotes, escapes, non-ASCII.
SPECIAL = [*"-?:,[]{}#&*!|>'\"%@`.~=<\\ \n\t\r\0\x7f",
           "\x85", "\xa0", "é", "東", "\ufeff", "\ufffd", "😀"]
WORDY = st.sampled_from(list("abcxyz0123   ") + SPECIAL)
LOOKALIKES = st.sampled_from(["", "true", "No", "on", "null", "~", "1.5", "0x10", "-1", "+1",
                              "1_0", ".inf", "2001-01-01", "<<", "=", "!", "-", ":", "---",
                              "..."])


def words(alphabet: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Text of short words and spaces, long enough to fold."""
    word = st.text(alphabet, max_size=12)
    return st.lists(word, max_size=25).map(" ".join)


# Line separators and lone surrogates always fall back (see FALLBACKS).
UNSUPPORTED_CHARS = re.compile("[\u2028\u2029\ud800-\udfff]")
SUPPORTED_TEXT = st.one_of(st.text(WORDY, max_size=30), words(WORDY), LOOKALIKES,
                           st.text(max_size=20).filter(lambda t: not UNSUPPORTED_CHARS.search(t)))
KEY_CHARS = WORDY.filter(lambda c: c not in "\n\r\x85")
SUPPORTED_KEYS = st.one_of(st.text(KEY_CHARS, max_size=32), LOOKALIKES,
                           st.integers(1, 70).map(lambda n: "k" * n))
SCALARS = st.one_of(SUPPORTED_TEXT, st.none(), st.booleans(), st.integers())


def documents(keys: st.SearchStrategy[Any], scalars: st.SearchStrategy[Any],
              ) -> st.SearchStrategy[Any]:
    tree = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                        | st.dictionaries(keys, inner, max_size=4), max_leaves=16)
    return st.one_of(st.dictionaries(keys, tree, max_size=5), st.lists(tree, max_size=4))


SETTINGS = settings(max_examples=400, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(data=documents(SUPPORTED_KEYS, SCALARS), sort_keys=st.booleans())
def test_random_documents_match_pyyaml(data, sort_keys):
    assert yamlemit.dump(data, sort_keys=sort_keys) == reference(data, sort_keys)


@SETTINGS
@given(key=SUPPORTED_KEYS, value=SUPPORTED_TEXT, depth=st.integers(0, 4),
       in_sequence=st.booleans())
def test_random_strings_at_any_depth_and_key_length_match_pyyaml(key, value, depth,
                                                                  in_sequence):
    data: Any = {key: value}
    for level in range(depth):
        data = [data, value] if in_sequence else {f"level{level}": data, key: value}
    assert yamlemit.dump(data) == reference(data)


ANY_TEXT = st.one_of(st.text(max_size=40), words(st.characters()), SUPPORTED_TEXT)
ANY_SCALAR = st.one_of(ANY_TEXT, st.none(), st.booleans(), st.integers(), st.floats())
ANY_KEY = st.one_of(ANY_TEXT, st.integers(), st.text(min_size=100, max_size=140))


@SETTINGS
@given(data=documents(ANY_KEY, ANY_SCALAR), sort_keys=st.booleans())
def test_render_dump_matches_pyyaml_whatever_the_data(data, sort_keys):
    assert outcome(render.dump, data, sort_keys) == outcome(render.libyaml_dump, data, sort_keys)


# --- real documents ---------------------------------------------------------------------------


@pytest.fixture
def checked_dump(monkeypatch) -> list[str]:
    """Every document the rule renderer writes is written by both writers and compared."""
    written: list[str] = []

    def both(data: Any, *, sort_keys: bool = False) -> str:
        text = yamlemit.dump(data, sort_keys=sort_keys)
        assert text == reference(data, sort_keys)
        written.append(text)
        return text

    monkeypatch.setattr(render, "dump", both)
    return written


CORPUS = ["in-base.yaml", "in-base-k8s.yaml", "in-multifile.yaml", "in-multifile-k8s.yaml",
          "in-openslo.yaml", "in-sli-plugin.yaml", "in-slo-plugin.yaml",
          "in-slo-plugin-k8s.yaml"]
MODES = [pytest.param([], id="default mode"),
         pytest.param(["--format", "prometheus-operator"], id="PrometheusRule objects"),
         pytest.param(["--compat", "sloth"], id="Sloth compat"),
         pytest.param(["--disable-alerts", "-l", "team=a: b"], id="no alerts, odd label")]


@pytest.mark.parametrize("flags", MODES)
@pytest.mark.parametrize("spec", CORPUS)
def test_conformance_corpus_documents_match_pyyaml(conformance, monkeypatch, capsys,
                                                   checked_dump, spec, flags):
    monkeypatch.chdir(conformance / "testdata")
    assert main(["rules", "-i", spec, "-p", PLUGINS, *flags]) == 0, capsys.readouterr().err
    assert checked_dump


OUR_SPECS = [REPO / "slo" / "examples", REPO / "slo" / "specs" / "jupyter.yaml",
             REPO / "tests" / "slo" / "specs" / "good.yaml",
             REPO / "tests" / "slo" / "specs" / "native" / "lint.yaml",
             REPO / "tests" / "slo" / "specs" / "openslo-v1" / "valid.yaml"]


@pytest.mark.parametrize("path", OUR_SPECS, ids=lambda p: str(p.relative_to(REPO)))
def test_our_specs_generate_documents_that_match_pyyaml(tmp_path, capsys, checked_dump, path):
    assert main(["generate", "-i", str(path), "-o", str(tmp_path)]) == 0, \
        capsys.readouterr().err
    assert checked_dump
