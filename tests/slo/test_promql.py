"""The PromQL parse check agrees with Prometheus 2.42.

Every expected verdict here is promtool 2.42's own answer, measured with one rules file per
expression, so the table records Prometheus's behaviour rather than ours. The promtool backend
must repeat its messages word for word; the promql-parser fallback, used where promtool is
missing, must reach the same verdicts, and the cases were picked where the two parsers differ.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from slo import promql

needs_promtool = pytest.mark.skipif(shutil.which("promtool") is None, reason="no promtool")
BACKENDS = ["promql-parser", pytest.param("promtool", marks=[needs_promtool, pytest.mark.real])]

# Accepted by Prometheus 2.42.
VALID = [
    pytest.param("up", None, id="a bare metric name"),
    pytest.param(
        (
            'sum(rate(http_requests_total{job="api",code=~"5.."}[5m]))\n/\n'
            'sum(rate(http_requests_total{job="api"}[5m]))'
        ),
        None,
        id="a multi-line error ratio as SLO specs write it",
    ),
    pytest.param("max_over_time(up[30d:5m])", None, id="a subquery with a step"),
    pytest.param("max_over_time(up[1h:])", None, id="a subquery with the default step"),
    pytest.param(
        "min_over_time(rate(x[5m])[1h:1m] offset 1d)",
        None,
        id="a subquery of a function call with an offset",
    ),
    pytest.param("rate(x[5m] @ start())", None, id="the @ start() modifier"),
    pytest.param("x @ end()", None, id="the @ end() modifier"),
    pytest.param("x @ 1609746000", None, id="the @ modifier with a Unix timestamp"),
    pytest.param("x offset 5m", None, id="an offset"),
    pytest.param("x offset -5m", None, id="a negative offset"),
    pytest.param("x offset 5m @ 100", None, id="offset before @"),
    pytest.param(
        "a * on(instance) group_left(node) b",
        None,
        id="one-to-many matching with on and group_left",
    ),
    pytest.param(
        "a / ignoring(code) group_right b",
        None,
        id="many-to-one matching with ignoring and group_right",
    ),
    pytest.param("a or on() vector(0)", None, id="or on() vector(0), the usual no-data fallback"),
    pytest.param("a > bool 0.5", None, id="a comparison with the bool modifier"),
    pytest.param("1 < bool 2", None, id="a scalar comparison with bool"),
    pytest.param(
        "histogram_quantile(0.99, sum by (le) (rate(h_bucket[5m])))",
        None,
        id="histogram_quantile over summed bucket rates",
    ),
    pytest.param('label_replace(up, "dst", "$1", "src", "(.*)")', None, id="label_replace"),
    pytest.param('absent_over_time(up{job="a"}[5m])', None, id="absent_over_time"),
    pytest.param("sum without (instance) (up)", None, id="sum without with the clause first"),
    pytest.param("sum(up) without (instance)", None, id="sum without with the clause last"),
    pytest.param("sum by (a,) (x)", None, id="a trailing comma in a by clause"),
    pytest.param("topk(5, x)", None, id="topk"),
    pytest.param('"hello"', None, id="a string literal as the whole expression"),
    pytest.param(
        "vector(0.9990000000000001)",
        None,
        id="a float that Sloth's arithmetic leaves behind",
    ),
    pytest.param("rate(x[1h30m])", None, id="a compound duration"),
    pytest.param(
        "rate(x[5m15s]) + rate(x[100ms]) + rate(x[1w]) + rate(x[1y])",
        None,
        id="every duration unit",
    ),
    pytest.param('count_values("version", build_info)', None, id="count_values"),
    pytest.param('up{label="héllo ✓ 日本"}', None, id="unicode in a label value"),
    pytest.param('{__name__=~"a.*"}', None, id="a metric name given as a regex matcher"),
    pytest.param('{a=~".+"}', None, id="a selector whose only matcher excludes the empty value"),
    pytest.param(
        "sum(rate(x[5m])) # the numerator\n/ 2",
        None,
        id="a comment inside the expression",
    ),
    pytest.param("1 - (a / b)", None, id="one minus a ratio"),
    pytest.param("last_over_time(up[1h])", None, id="last_over_time"),
    pytest.param("holt_winters(x[5m], 0.5, 0.5)", None, id="holt_winters, renamed after 2.42"),
    pytest.param(
        "histogram_count(x) + histogram_sum(x) + histogram_fraction(0, 1, x)",
        None,
        id="the native histogram functions of 2.40",
    ),
    pytest.param(
        "present_over_time(x[5m]) + quantile_over_time(0.9, x[5m])",
        None,
        id="present_over_time and quantile_over_time",
    ),
    pytest.param("x{a='b'}", None, id="a single-quoted label value"),
    pytest.param("x{a=`b\\d`}", None, id="a raw string with a backslash"),
    pytest.param("x{a=~`\\d+`}", None, id="a raw-string regex"),
    pytest.param('x{on="a", offset="b"}', None, id="keywords as label names"),
    pytest.param("x[5m # why five\n]", None, id="a comment inside brackets after the duration"),
    pytest.param("by offset 5m", None, id="by, offset and and as metric names"),
    pytest.param(
        "sum offset 5m and offset",
        None,
        id="aggregator names and offset as metric names",
    ),
    pytest.param("+x", None, id="a unary plus on a vector"),
    pytest.param("x[5m a]", None, id="a letter after a range, which 2.42 reads as a colon"),
    pytest.param('x{a=~"\\\\Q.\\\\E"}', None, id="a regex quoting with \\Q...\\E"),
    pytest.param(
        'x{a=~"(?P<1n>a)(?P<1n>b)"}',
        None,
        id="regex capture names Go accepts and Rust does not",
    ),
    pytest.param('x{a=~"\\\\012"}', None, id="an octal escape in a regex"),
    pytest.param('x{a=~"[\\\\d-z]"}', None, id="a regex class with a hyphen after a class escape"),
    pytest.param('x{a=~"(?)a"}', None, id="an empty regex flag group"),
    pytest.param(
        'x{a=~"a(?i)*"}',
        None,
        id="a regex star after a flag group, applying to the atom before",
    ),
    pytest.param('x{a=~"(a{10}){100}"}', None, id="nested regex repeats whose product is 1000"),
    pytest.param(
        'x{a=~"\\\\p{Greek}\\\\p{^Han}\\\\PL\\\\p{Any}"}',
        None,
        id="regex unicode classes Go knows",
    ),
    pytest.param('x{a=~"[^\\\\x00-\\\\x{10FFFF}]"}', None, id="a regex class that matches nothing"),
    pytest.param('{a!~""}', None, id="a selector whose only matcher is a negated empty regex"),
    pytest.param("1e-400", None, id="a float literal that underflows to zero"),
    pytest.param("0x7FFFFFFFFFFFFFFF", None, id="the largest hexadecimal literal"),
    pytest.param("SUM BY (a) (x) > BOOL 1", None, id="keywords in capitals"),
    pytest.param("x @ START()", None, id="START() in capitals after @"),
    pytest.param("rate(x @ end()[5m])", None, id="@ end() before a range, which 2.42 lets through"),
]

# Rejected by Prometheus 2.42, with its message as promtool 2.42 prints it.
INVALID = [
    pytest.param(
        "sum(rate(x[5m])",
        "1:16: parse error: unclosed left parenthesis",
        id="an unbalanced parenthesis",
    ),
    pytest.param(
        "sum(rate(x[5m])))",
        "1:18: parse error: unexpected right parenthesis ')'",
        id="an extra closing parenthesis",
    ),
    pytest.param(
        "rate(x)",
        (
            '1:6: parse error: expected type range vector in call to function "rate", got instant '
            "vector"
        ),
        id="rate of an instant vector",
    ),
    pytest.param(
        "sum by (a) (x) by (b)",
        "1:16: parse error: unexpected <by>",
        id="two by clauses",
    ),
    pytest.param(
        "x[5m] + 1",
        "1:1: parse error: binary expression must contain only scalar and instant vector types",
        id="arithmetic on a range vector",
    ),
    pytest.param(
        "{}",
        "1:1: parse error: vector selector must contain at least one non-empty matcher",
        id="an empty selector",
    ),
    pytest.param(
        '{a=~".*"}',
        "1:1: parse error: vector selector must contain at least one non-empty matcher",
        id="a selector whose only matcher matches the empty value",
    ),
    pytest.param(
        'x{a="b"',
        "1:8: parse error: unexpected end of input inside braces",
        id="an unclosed brace",
    ),
    pytest.param(
        "foo(x)",
        '1:1: parse error: unknown function with name "foo"',
        id="an unknown function",
    ),
    pytest.param(
        "x[1x]",
        '1:3: parse error: bad duration syntax: "1"',
        id="an unknown duration unit",
    ),
    pytest.param(
        "x[]",
        "1:3: parse error: missing unit character in duration",
        id="an empty range",
    ),
    pytest.param("1 +", "1:4: parse error: unexpected end of input", id="a dangling operator"),
    pytest.param(
        "1 < 2",
        "1:3: parse error: comparisons between scalars must use BOOL modifier",
        id="a scalar comparison without bool",
    ),
    pytest.param(
        "x offset 5m offset 5m",
        "1:1: parse error: offset may not be set multiple times",
        id="two offsets",
    ),
    pytest.param(
        "topk(x)",
        (
            "1:1: parse error: wrong number of arguments for aggregate expression provided, "
            "expected 2, got 1"
        ),
        id="topk without its parameter",
    ),
    pytest.param(
        "x{a=b}",
        '1:5: parse error: unexpected identifier "b" in label matching, expected string',
        id="an unquoted label value",
    ),
    pytest.param(
        'x{a="\\q"}',
        "1:5: parse error: unknown escape sequence U+0071 'q'",
        id="an unknown escape in a string",
    ),
    pytest.param(
        '"a" + 1',
        "1:1: parse error: binary expression must contain only scalar and instant vector types",
        id="arithmetic on a string",
    ),
    pytest.param(
        "x and 1",
        '1:1: parse error: set operator "and" not allowed in binary scalar expression',
        id="a set operator with a scalar",
    ),
    pytest.param(
        "x + bool y",
        "1:3: parse error: bool modifier can only be used on comparison operators",
        id="bool on arithmetic",
    ),
    pytest.param(
        "x and on(a) group_left y",
        '1:1: parse error: no grouping allowed for "and" operation',
        id="group_left on a set operator",
    ),
    pytest.param("   ", "1:1: parse error: no expression found in input", id="only spaces"),
    pytest.param(
        "# just a comment",
        "1:1: parse error: no expression found in input",
        id="only a comment",
    ),
    pytest.param(
        "métrique",
        "1:2: parse error: unexpected character: 'é'",
        id="a non-ASCII metric name",
    ),
    pytest.param(
        '{"utf8.metric"}',
        (
            '1:2: parse error: unexpected string "\\"utf8.metr"... in label matching, expected '
            'identifier or "}"'
        ),
        id="a quoted UTF-8 metric name from Prometheus 3",
    ),
    pytest.param(
        '{"utf8.metric", job="a"}',
        (
            '1:2: parse error: unexpected string "\\"utf8.metr"... in label matching, expected '
            'identifier or "}"'
        ),
        id="a quoted UTF-8 metric name with a matcher",
    ),
    pytest.param(
        'x{"a.b"="c"}',
        (
            '1:3: parse error: unexpected string "\\"a.b\\"" in label matching, expected '
            'identifier or "}"'
        ),
        id="a quoted UTF-8 label name",
    ),
    pytest.param(
        'sum by ("a.b") (x)',
        '1:9: parse error: unexpected string "\\"a.b\\"" in grouping opts, expected label',
        id="a quoted label name in by",
    ),
    pytest.param(
        'x / on("a") y',
        '1:8: parse error: unexpected string "\\"a\\"" in grouping opts, expected label',
        id="a quoted label name in on",
    ),
    pytest.param(
        "info(up)",
        '1:1: parse error: unknown function with name "info"',
        id="info(), added in Prometheus 3",
    ),
    pytest.param(
        "x[5m+1m]",
        '1:5: parse error: unexpected <op:+> in subquery or range, expected ":" or "]"',
        id="duration arithmetic from Prometheus 3",
    ),
    pytest.param(
        "x offset (1h + 1m)",
        '1:10: parse error: unexpected "(" in offset, expected duration',
        id="a duration expression as an offset",
    ),
    pytest.param(
        "1h",
        '1:1: parse error: unexpected duration "1h"',
        id="a bare duration, a number in Prometheus 3",
    ),
    pytest.param(
        "vector(1h)",
        '1:8: parse error: unexpected duration "1h"',
        id="a duration as a function argument",
    ),
    pytest.param(
        "x @ 1h",
        '1:5: parse error: unexpected duration "1h" in @, expected timestamp',
        id="a duration as an @ timestamp",
    ),
    pytest.param(
        "x[300]",
        "1:3: parse error: missing unit character in duration",
        id="a range without a unit",
    ),
    pytest.param(
        "x[5m:30]",
        '1:6: parse error: unexpected number "30" in subquery selector, expected duration or "]"',
        id="a subquery step without a unit",
    ),
    pytest.param(
        "x offset 1",
        '1:10: parse error: unexpected number "1" in offset, expected duration',
        id="an offset without a unit",
    ),
    pytest.param(
        "x offset +5m",
        "1:10: parse error: unexpected <op:+> in offset, expected duration",
        id="an offset with a plus sign",
    ),
    pytest.param(
        "x offset nan",
        '1:10: parse error: unexpected number "nan" in offset, expected duration',
        id="NaN as an offset",
    ),
    pytest.param(
        'sort_by_label(x, "a")',
        '1:1: parse error: unknown function with name "sort_by_label"',
        id="sort_by_label, added after 2.42",
    ),
    pytest.param(
        'sort_by_label_desc(x, "a")',
        '1:1: parse error: unknown function with name "sort_by_label_desc"',
        id="sort_by_label_desc, added after 2.42",
    ),
    pytest.param(
        "double_exponential_smoothing(x[5m], 0.5, 0.5)",
        '1:1: parse error: unknown function with name "double_exponential_smoothing"',
        id="double_exponential_smoothing, added after 2.42",
    ),
    pytest.param(
        "histogram_stddev(x)",
        '1:1: parse error: unknown function with name "histogram_stddev"',
        id="histogram_stddev, added after 2.42",
    ),
    pytest.param(
        "histogram_stdvar(x)",
        '1:1: parse error: unknown function with name "histogram_stdvar"',
        id="histogram_stdvar, added after 2.42",
    ),
    pytest.param(
        "histogram_avg(x)",
        '1:1: parse error: unknown function with name "histogram_avg"',
        id="histogram_avg, added after 2.42",
    ),
    pytest.param(
        "limitk(5, x)",
        '1:1: parse error: unknown function with name "limitk"',
        id="limitk, added after 2.42",
    ),
    pytest.param(
        "limit_ratio(0.5, x)",
        '1:1: parse error: unknown function with name "limit_ratio"',
        id="limit_ratio, added after 2.42",
    ),
    pytest.param(
        "mad_over_time(x[5m])",
        '1:1: parse error: unknown function with name "mad_over_time"',
        id="mad_over_time, added after 2.42",
    ),
    pytest.param(
        "first_over_time(x[5m])",
        '1:1: parse error: unknown function with name "first_over_time"',
        id="first_over_time, added after 2.42",
    ),
    pytest.param(
        "ts_of_max_over_time(x[5m])",
        '1:1: parse error: unknown function with name "ts_of_max_over_time"',
        id="ts_of_max_over_time, added after 2.42",
    ),
    pytest.param(
        "x + step()",
        '1:5: parse error: unknown function with name "step"',
        id="step(), added after 2.42",
    ),
    pytest.param(
        "a + fill(0) b",
        '1:5: parse error: unknown function with name "fill"',
        id="fill() vector matching, added after 2.42",
    ),
    pytest.param(
        "x[5m] smoothed",
        '1:7: parse error: unexpected identifier "smoothed"',
        id="the smoothed range modifier, added after 2.42",
    ),
    pytest.param(
        "x @ 100[5m]",
        "1:8: parse error: no @ modifiers allowed before range",
        id="a numeric @ before a range",
    ),
    pytest.param(
        "RATE(x[5m])",
        '1:1: parse error: unknown function with name "RATE"',
        id="a function name in capitals",
    ),
    pytest.param("start()", '1:6: parse error: unexpected "("', id="start() outside @"),
    pytest.param("end()", '1:4: parse error: unexpected "("', id="end() outside @"),
    pytest.param(
        "1e400",
        (
            '1:1: parse error: error parsing number: strconv.ParseFloat: parsing "1e400": value '
            "out of range"
        ),
        id="a float literal that overflows",
    ),
    pytest.param(
        "0x8000000000000000",
        (
            "1:1: parse error: error parsing number: strconv.ParseFloat: parsing "
            '"0x8000000000000000": invalid syntax'
        ),
        id="a hexadecimal literal beyond int64",
    ),
    pytest.param(
        "+x[5m]",
        (
            "1:1: parse error: unary expression only allowed on expressions of type scalar or "
            'instant vector, got "range vector"'
        ),
        id="a unary plus on a range vector",
    ),
    pytest.param(
        'label_replace(up, +"dst", "$1", "src", "(.*)")',
        (
            "1:19: parse error: unary expression only allowed on expressions of type scalar or "
            'instant vector, got "string"'
        ),
        id="a unary plus on a string",
    ),
    pytest.param(
        "x[ # c\n5m]",
        "1:4: parse error: missing unit character in duration",
        id="a comment before the range duration",
    ),
    pytest.param(
        "x[5m:1m a]",
        "1:9: parse error: unexpected colon 'a'",
        id="a letter after a subquery step",
    ),
    pytest.param(
        'x{a=~"("}',
        "1:3: parse error: error parsing regexp: missing closing ): `^(?:()$`",
        id="a regex with an unclosed group",
    ),
    pytest.param(
        'x{a=~"a)|(b"}',
        "1:3: parse error: error parsing regexp: unexpected ): `a)|(b`",
        id="a regex that only parses once anchored",
    ),
    pytest.param(
        'x{a=~"a**"}',
        "1:3: parse error: error parsing regexp: invalid nested repetition operator: `**`",
        id="a nested regex repetition",
    ),
    pytest.param(
        'x{a=~"a{2}{3}"}',
        "1:3: parse error: error parsing regexp: invalid nested repetition operator: `{2}{3}`",
        id="a repeated regex count",
    ),
    pytest.param(
        'x{a=~"a{1001}"}',
        "1:3: parse error: error parsing regexp: invalid repeat count: `{1001}`",
        id="a regex count over 1000",
    ),
    pytest.param(
        'x{a=~"(a{10}){101}"}',
        "1:3: parse error: error parsing regexp: invalid repeat count: `{101}`",
        id="nested regex counts whose product passes 1000",
    ),
    pytest.param(
        'x{a=~"(?x)a b"}',
        "1:3: parse error: error parsing regexp: invalid or unsupported Perl syntax: `(?x`",
        id="the regex x flag, which Go lacks",
    ),
    pytest.param(
        'x{a=~"(?<n>a)"}',
        "1:3: parse error: error parsing regexp: invalid or unsupported Perl syntax: `(?<`",
        id="a regex named group in the (?<n>) form Go 1.19 lacks",
    ),
    pytest.param(
        'x{a=~"(?=a)"}',
        "1:3: parse error: error parsing regexp: invalid or unsupported Perl syntax: `(?=`",
        id="a regex lookahead",
    ),
    pytest.param(
        'x{a=~"\\\\p{greek}"}',
        "1:3: parse error: error parsing regexp: invalid character class range: `\\p{greek}`",
        id="a regex unicode script in the wrong case",
    ),
    pytest.param(
        'x{a=~"\\\\p{Letter}"}',
        "1:3: parse error: error parsing regexp: invalid character class range: `\\p{Letter}`",
        id="a long regex unicode category name",
    ),
    pytest.param(
        'x{a=~"\\\\p{Vithkuqi}"}',
        "1:3: parse error: error parsing regexp: invalid character class range: `\\p{Vithkuqi}`",
        id="a regex unicode script newer than Unicode 13",
    ),
    pytest.param(
        'x{a=~"[[:foo:]]"}',
        "1:3: parse error: error parsing regexp: invalid character class range: `[:foo:]`",
        id="an unknown POSIX class in a regex",
    ),
    pytest.param(
        'x{a=~"\\\\8"}',
        "1:3: parse error: error parsing regexp: invalid escape sequence: `\\8`",
        id="a regex backreference",
    ),
    pytest.param(
        'x{a=~"\\\\C"}',
        "1:3: parse error: error parsing regexp: invalid escape sequence: `\\C`",
        id="the regex any-byte escape",
    ),
    pytest.param(
        'x{a=~"\\xff"}',
        "1:3: parse error: error parsing regexp: invalid UTF-8: `�)$`",
        id="a regex that is not UTF-8",
    ),
    pytest.param(
        '{a=~"(?:)|x{0}"}',
        "1:1: parse error: vector selector must contain at least one non-empty matcher",
        id="a selector whose regex can only match the empty value",
    ),
]
CASES = VALID + INVALID


@pytest.mark.parametrize(("expr", "expected"), CASES)
def test_fallback_reaches_prometheus_verdict(expr: str, expected: str | None) -> None:
    error = promql.parse_error(expr, backend="promql-parser")
    assert (error is None) == (expected is None), error


@pytest.mark.parametrize(("expr", "expected"), INVALID)
def test_fallback_positions_only_prometheus_own_messages(expr: str, expected: str) -> None:
    # Messages from the fallback's own 2.42 checks carry a position and must be Prometheus's;
    # those from promql-parser have none and may be worded differently.
    error = promql.parse_error(expr, backend="promql-parser")
    assert error is not None
    if re.match(r"\d+:\d+: ", error):
        assert error == expected


@needs_promtool
@pytest.mark.real
@pytest.mark.parametrize(("expr", "expected"), CASES)
def test_promtool_backend_repeats_prometheus_message(expr: str, expected: str | None) -> None:
    assert promql.parse_error(expr, backend="promtool") == expected


_QUERY_KEY_NAMES = "error_query total_query error_ratio_query errorQuery totalQuery errorRatioQuery"
_QUERY_KEYS = frozenset([*_QUERY_KEY_NAMES.split(), "expr"])


def _collect_queries(node: object, found: list[str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            is_query = key in _QUERY_KEYS or (key == "query" and node.get("queryType") == "promql")
            if is_query and isinstance(value, str):
                found.append(value)
            else:
                _collect_queries(value, found)
    elif isinstance(node, list):
        for item in node:
            _collect_queries(item, found)


def sloth_queries(corpus: Path) -> list[str]:
    """Sloth's spec queries with {{.window}} rendered as Sloth does, then its expected rules."""
    specs: list[str] = []
    for path in sorted((corpus / "testdata").rglob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            _collect_queries(document, specs)
    rules: list[str] = []
    for path in sorted((corpus / "testdata").rglob("*.yaml.tpl")):
        text = path.read_text(encoding="utf-8").replace("{{ .version }}", "v0.1.0")
        for document in yaml.safe_load_all(re.sub(r'\{\{"(.*?)"\}\}', r"\1", text)):
            _collect_queries(document, rules)
    rendered = {re.sub(r"\{\{\s*\.window\s*\}\}", "1m", query) for query in specs}
    return sorted(rendered) + sorted(set(rules))


def test_sloth_corpus_queries_parse_with_either_backend(conformance: Path) -> None:
    queries = sloth_queries(conformance)
    assert len(queries) > 50, "the corpus should hold Sloth's spec queries and rule exprs"
    for backend in ("promql-parser", "auto"):
        verdicts = promql.parse_errors(queries, backend=backend)
        failures = {q: e for q, e in zip(queries, verdicts, strict=True) if e is not None}
        assert not failures, backend


def _promtool_alone(promtool: str, expr: str, tmp: Path) -> str | None:
    """promtool's verdict on one expression, by a path that shares no code with the module."""
    rules = tmp / "rule.yml"
    document = {"groups": [{"name": "g", "rules": [{"record": "r", "expr": expr}]}]}
    rules.write_text(yaml.safe_dump(document, allow_unicode=True, width=1 << 20), "utf-8")
    done = subprocess.run([promtool, "check", "rules", str(rules)], capture_output=True,
                          check=False)  # fmt: skip
    if done.returncode == 0:
        return None
    stderr = done.stderr.decode("utf-8", "replace")
    match = re.search(r'"r": (?:could not parse expression: )?(.*)', stderr, re.DOTALL)
    assert match, stderr
    return match.group(1).strip()


@needs_promtool
@pytest.mark.real
@pytest.mark.timeout(120)
def test_both_backends_agree_with_promtool_on_every_expression(
    conformance: Path, tmp_path: Path
) -> None:
    promtool = shutil.which("promtool")
    assert promtool
    recorded = {case.values[0]: case.values[1] for case in CASES}
    exprs = list(recorded) + [q for q in sloth_queries(conformance) if q not in recorded]
    batched = promql.parse_errors(exprs, backend="promtool")
    fallback = promql.parse_errors(exprs, backend="promql-parser")
    wrong = []
    for expr, in_batch, in_fallback in zip(exprs, batched, fallback, strict=True):
        alone = _promtool_alone(promtool, expr, tmp_path)
        if expr in recorded and recorded[expr] != alone:
            wrong.append(("recorded", expr, recorded[expr], alone))
        if in_batch != alone:
            wrong.append(("promtool backend", expr, in_batch, alone))
        if (in_fallback is None) != (alone is None):
            wrong.append(("fallback", expr, in_fallback, alone))
    assert not wrong


@pytest.mark.parametrize("backend", BACKENDS)
def test_many_expressions_keep_their_order_and_duplicates(backend: promql.Backend) -> None:
    exprs = ["up", "rate(x)", "up", "", "sum(x) by (a)", "rate(x)", " # only a comment"]
    verdicts = promql.parse_errors(iter(exprs), backend=backend)
    assert [v is None for v in verdicts] == [True, False, True, False, True, False, False]
    assert verdicts[1] == verdicts[5]
    empty = "1:1: parse error: no expression found in input"
    assert verdicts[3] == verdicts[6] == empty
    assert promql.parse_errors([], backend=backend) == []


@needs_promtool
@pytest.mark.real
def test_one_promtool_run_maps_each_error_to_its_expression() -> None:
    exprs = [f'rate(x{{job="{n}"}}[5m])' if n % 2 else f"rate(x{n})" for n in range(300)]
    verdicts = promql.parse_errors(exprs, backend="promtool")
    for n, verdict in enumerate(verdicts):
        if n % 2:
            assert verdict is None
        else:
            assert verdict == (
                '1:6: parse error: expected type range vector in call to function "rate", '
                "got instant vector"
            )


@pytest.mark.parametrize("backend", BACKENDS)
def test_errors_on_later_lines_give_line_and_byte_column(backend: promql.Backend) -> None:
    expr = 'sum(rate(x{a="é"}[5m]))\n  / foo(y)'
    assert promql.parse_error(expr, backend=backend) == (
        '2:5: parse error: unknown function with name "foo"'
    )


@pytest.mark.parametrize("backend", BACKENDS)
def test_characters_yaml_would_mangle_reach_the_parser_intact(backend: promql.Backend) -> None:
    values = ["tab\there", "cr\rlf", "\x7f", "\x85", "\u2028", "\ufeff", "😀", 'q\\"\\\\']
    exprs = [f'x{{a="{v}"}}' for v in values] + ['x{a="line\nbreak"}']
    verdicts = promql.parse_errors(exprs, backend=backend)
    assert verdicts[:-1] == [None] * len(values)
    assert verdicts[-1] is not None  # a raw newline ends a double-quoted string


@pytest.mark.parametrize("backend", BACKENDS)
def test_text_that_is_not_utf8_is_refused(backend: promql.Backend) -> None:
    assert promql.parse_error('x{a="\udcff"}', backend=backend) == "expression is not valid UTF-8"


def test_fallback_refuses_expressions_too_deep_for_promql_parser() -> None:
    # promql-parser's memory grows with the square of the depth, and it overflows its stack
    # past a few thousand levels, taking the whole process down.
    deep = "(" * 20_000 + "x" + ")" * 20_000
    error = promql.parse_error(deep, backend="promql-parser")
    assert error is not None and error.startswith("expression too deep for the promql-parser")
    chain = " + ".join(["x"] * 200)
    assert promql.parse_error(chain, backend="promql-parser") is None


def test_without_promtool_auto_falls_back_and_promtool_backend_fails(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert promql.default_backend() == "promql-parser"
    assert promql.parse_error("limitk(5, x)") == (
        '1:1: parse error: unknown function with name "limitk"'
    )
    with pytest.raises(FileNotFoundError):
        promql.parse_error("up", backend="promtool")


def test_unknown_backend_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown PromQL parser backend"):
        promql.parse_errors(["up"], backend="prometheus")  # type: ignore[arg-type]
