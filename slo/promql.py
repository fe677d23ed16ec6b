"""Check that PromQL expressions parse, agreeing with Prometheus 2.42.

Queries reach the SLO engine from spec files (Sloth's ``{{.window}}`` queries, OpenSLO ``query``
fields) and from our own generators. One expression that Prometheus cannot parse makes the whole
rule file fail to load, so every expression is checked at build time, and the verdict that counts
is that of Prometheus 2.42, the version this project deploys and tests against.

Convention: ``parse_error(expr)`` is ``None`` when the expression parses; otherwise it is one line
in Prometheus's own wording (``1:16: parse error: unclosed left parenthesis``), so that a user can
match it against what Prometheus would log. ``parse_errors`` checks many expressions at once and
keeps their order; prefer it, because the authoritative backend pays per call, not per expression.

There are two backends, because neither is enough alone:

* ``promtool`` (used when it is on PATH) is the real 2.42 parser, so it is right by construction;
  it is trusted to be the Debian 2.42 package that ``.ci/run`` installs, since a newer promtool
  would accept Prometheus 3 syntax. A run costs about 35 ms whatever its size, so expressions go
  in one batch, as recording rules in a temporary file, and errors are mapped back by rule name.
* ``promql-parser`` (PyPI, Rust) is in-process and fast, but it follows newer Prometheus releases
  and Rust's regex dialect. Measured against promtool 2.42, it accepts Prometheus 3 syntax
  (quoted UTF-8 names, durations used as numbers), functions added after 2.42 (``info``,
  ``limitk``, ``sort_by_label``, ...) and Rust-only regexes (``a**``, ``(?x)``), and it rejects
  valid 2.42 input (``holt_winters``, comments inside ``[...]``, backslashes in raw strings,
  ``\\Q...\\E``). The fallback closes those gaps in a lexer pass that knows where the 2.42 grammar
  differs. It also judges label-matcher regexes by emulating the syntax rules of Go's regexp
  package, which Prometheus compiles them with. promql-parser only sees a stand-in regex that
  matches the empty string exactly when the original does, because its only regex check is that a
  selector keeps one matcher that does not match the empty string.

Known fallback gaps, none of them in promtool: Go's regexp size and nesting-depth limits are not
emulated; messages that come from promql-parser have no position and may be worded differently;
and expressions deep enough to exhaust promql-parser's memory or stack are refused instead of
being parsed.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal, cast

import promql_parser

__all__ = ["Backend", "default_backend", "parse_error", "parse_errors"]

Backend = Literal["auto", "promtool", "promql-parser"]

# Prometheus's own parser says this for "" too; promtool hides it behind a rule-file error.
_NO_EXPRESSION = "1:1: parse error: no expression found in input"
_NOT_UTF8 = "expression is not valid UTF-8"


def default_backend() -> Literal["promtool", "promql-parser"]:
    """The backend that ``"auto"`` means now: the real parser whenever this machine has it."""
    return "promtool" if shutil.which("promtool") else "promql-parser"


def parse_error(expr: str, *, backend: Backend = "auto") -> str | None:
    """``None`` if Prometheus 2.42 parses ``expr``, otherwise its one-line parse error."""
    return parse_errors([expr], backend=backend)[0]


def parse_errors(exprs: Iterable[str], *, backend: Backend = "auto") -> list[str | None]:
    """``parse_error`` for each expression, in order, with one promtool run for the lot."""
    items = list(exprs)
    chosen = default_backend() if backend == "auto" else backend
    if chosen == "promql-parser":
        return [_fallback_error(expr) for expr in items]
    if chosen == "promtool":
        promtool = shutil.which("promtool")
        if promtool is None:
            raise FileNotFoundError("promtool is not on PATH")
        return _promtool_errors(items, promtool)
    raise ValueError(f"unknown PromQL parser backend {backend!r}")


# --- promtool -------------------------------------------------------------------------------

_GROUP = "promql"
_RULE_ERROR = re.compile(rf'group "{_GROUP}", rule \d+, "r(\d+)": (.*)')
_PARSE_PREFIX = "could not parse expression: "


def _promtool_errors(exprs: list[str], promtool: str) -> list[str | None]:
    verdicts: dict[str, str | None] = {}
    batch: list[str] = []
    for expr in dict.fromkeys(exprs):
        if expr == "":
            verdicts[expr] = _NO_EXPRESSION
        elif _has_lone_surrogate(expr):
            verdicts[expr] = _NOT_UTF8
        else:
            batch.append(expr)
    verdicts.update(_promtool_batch(batch, promtool))
    return [verdicts[expr] for expr in exprs]


def _promtool_batch(batch: list[str], promtool: str) -> dict[str, str | None]:
    if not batch:
        return {}
    returncode, stderr = _run_promtool(batch, promtool)
    if returncode == 0:
        return dict.fromkeys(batch)
    found = _rule_errors(stderr)
    if returncode == 1 and found:
        return {expr: found.get(index) for index, expr in enumerate(batch)}
    if len(batch) > 1:
        # A file-level failure names no rule; checking one by one pins it on its expression.
        verdicts: dict[str, str | None] = {}
        for expr in batch:
            verdicts.update(_promtool_batch([expr], promtool))
        return verdicts
    if returncode == 1:
        return {batch[0]: " ".join(stderr.split()) or "rejected by promtool"}
    raise RuntimeError(f"promtool check rules exited with {returncode}: {stderr.strip()}")


def _run_promtool(batch: list[str], promtool: str) -> tuple[int, str]:
    lines = ["groups:", f"- name: {_GROUP}", "  rules:"]
    for index, expr in enumerate(batch):
        lines += [f"  - record: r{index}", f"    expr: {_yaml_quote(expr)}"]
    with tempfile.TemporaryDirectory(prefix="promql-") as tmp:
        path = os.path.join(tmp, "rules.yml")
        with open(path, "w", encoding="utf-8") as handle:
            handle.write("\n".join(lines) + "\n")
        done = subprocess.run(
            [promtool, "check", "rules", "--lint=none", path],
            capture_output=True,
            timeout=60 + len(batch) // 10,
            check=False,
        )
    # Go echoes regex fragments byte for byte, and they need not be UTF-8.
    return done.returncode, done.stderr.decode("utf-8", "replace")


def _rule_errors(stderr: str) -> dict[int, str]:
    parts: dict[int, list[str]] = {}
    current: list[str] | None = None
    for line in stderr.splitlines():
        match = _RULE_ERROR.search(line)
        if match:
            current = parts.setdefault(int(match.group(1)), [])
            current.append(match.group(2))
        elif current is not None and line.strip():
            current.append(line)  # a message that spans lines, e.g. echoing a newline
    errors: dict[int, str] = {}
    for index, lines in parts.items():
        message = "\n".join(lines).removeprefix(_PARSE_PREFIX)
        errors[index] = message.replace("\n", "\\n")
    return errors


_PLAIN_ASCII = re.compile(r'[\x20-\x7e]*')


def _yaml_quote(text: str) -> str:
    """A YAML double-quoted scalar: printable characters stay, the rest become escapes."""
    if _PLAIN_ASCII.fullmatch(text):  # the usual query: no loop over its characters
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    out = ['"']
    for char in text:
        code = ord(char)
        if char in '"\\':
            out.append("\\" + char)
        elif _yaml_printable(code):
            out.append(char)
        elif code < 0x100:
            out.append(f"\\x{code:02x}")
        elif code < 0x10000:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    out.append('"')
    return "".join(out)


def _yaml_printable(code: int) -> bool:
    # Raw line breaks would be folded into spaces, so only the escape keeps them.
    return (
        0x20 <= code <= 0x7E
        or code == 0x85
        or 0xA0 <= code <= 0xD7FF
        or (0xE000 <= code <= 0xFFFD and code != 0xFEFF)
        or 0x10000 <= code <= 0x10FFFF
    )


_SURROGATE = re.compile("[\ud800-\udfff]")


def _has_lone_surrogate(text: str) -> bool:
    return _SURROGATE.search(text) is not None


# --- promql-parser fallback -----------------------------------------------------------------

# promql/parser/functions.go in Prometheus 2.42 (checked one by one against promtool 2.42).
_FUNCTION_NAMES = """
    abs absent absent_over_time acos acosh asin asinh atan atanh avg_over_time ceil changes clamp
    clamp_max clamp_min cos cosh count_over_time days_in_month day_of_month day_of_week
    day_of_year deg delta deriv exp floor histogram_count histogram_fraction histogram_quantile
    histogram_sum holt_winters hour idelta increase irate label_join label_replace last_over_time
    ln log10 log2 max_over_time min_over_time minute month pi predict_linear present_over_time
    quantile_over_time rad rate resets round scalar sgn sin sinh sort sort_desc sqrt
    stddev_over_time stdvar_over_time sum_over_time tan tanh time timestamp vector year
"""
_FUNCTIONS = frozenset(_FUNCTION_NAMES.split())
# Keywords, matched case-insensitively like 2.42's lexer does. Grouping keywords take a
# parenthesised label list, which must not be mistaken for a call.
_MATCHING = frozenset(["on", "ignoring", "group_left", "group_right"])
_GROUPING = frozenset(["by", "without"]) | _MATCHING
_SET_OPERATORS = frozenset(["and", "or", "unless", "atan2"])
# Keywords after which an operand follows, and those that are never metric names.
_OPERAND_KEYWORDS = _SET_OPERATORS | frozenset(["bool", "group_left", "group_right"])
_NEVER_OPERANDS = frozenset(["on", "ignoring", "atan2", "bool", "group_left", "group_right"])
_AGGREGATOR_NAMES = "sum avg count min max group stddev stdvar topk bottomk count_values quantile"
_AGGREGATORS = frozenset(_AGGREGATOR_NAMES.split())
_KEYWORDS = _GROUPING | _SET_OPERATORS | _AGGREGATORS | frozenset(["bool", "offset"])
_AT_WORDS = ("start", "end")
_NO_UNIT = "missing unit character in duration"
_ARITHMETIC = frozenset(["+", "-", "*", "/", "%", "^", "==", "!=", "<", ">", "<=", ">="])
# promql-parser's memory grows with the square of the expression's depth (2.5 GB at 4000
# chained operators), while generated SLO rules stay under 30.
_FALLBACK_MAX_DEPTH = 256


_TokenKind = Literal["space", "comment", "string", "number", "duration", "ident", "op", "rest"]


@dataclass(frozen=True, slots=True)
class _Token:
    kind: _TokenKind
    text: str
    pos: int


_SIMPLE_TOKEN = re.compile(
    r"""
      (?P<space>[ \t\r\n]+)
    | (?P<comment>\#[^\n]*)
    | (?P<string>"(?:[^"\\\n]|\\[^\n])*"|'(?:[^'\\\n]|\\[^\n])*'|`[^`]*`)
    | (?P<ident>[A-Za-z_:][A-Za-z0-9_:]*)
    | (?P<op>==|!=|<=|>=|=~|!~|[-+*/%^<>=@(){}\[\],:])
    """,
    re.VERBOSE,
)
_DIGITS = frozenset("0123456789")
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")
_LETTERS = frozenset("_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_ALNUM = frozenset("_0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


def _fallback_error(expr: str) -> str | None:
    if _has_lone_surrogate(expr):
        return _NOT_UTF8
    tokens, lex_error = _lex(expr)
    if all(token.kind in ("space", "comment") for token in tokens):
        return _NO_EXPRESSION
    problem, rewritten, depth = _check_tokens(expr, tokens)
    if problem is not None:
        return problem
    if depth > _FALLBACK_MAX_DEPTH:
        return (
            f"expression too deep for the promql-parser fallback ({depth} operators and nesting"
            f" levels, at most {_FALLBACK_MAX_DEPTH}); check it with promtool"
        )
    try:
        promql_parser.parse(rewritten)
    except ValueError as exc:
        return "parse error: " + _prometheus_wording(str(exc))
    except BaseException as exc:  # a Rust panic arrives as pyo3's BaseException subclass
        if type(exc).__name__ != "PanicException":
            raise
        return "parse error: " + _prometheus_wording(str(exc))
    return lex_error


def _lex(expr: str) -> tuple[list[_Token], str | None]:
    """Tokens as Prometheus 2.42's lexer cuts them; on a lexing error, the rest is one token."""
    tokens: list[_Token] = []
    pos = 0
    in_brackets = False
    while pos < len(expr):
        char = expr[pos]
        if in_brackets and (char == ":" or (char in _LETTERS and not _opens_range(tokens))):
            # Elsewhere a colon may start a metric name. 2.42's lexer also takes any letter
            # here, after the range, for a colon: x[5m a] reads as the subquery x[5m:].
            tokens.append(_Token("op", ":", pos))
            pos += 1
            continue
        if char in _DIGITS or (char == "." and _char_at(expr, pos + 1) in _DIGITS):
            scanned = _scan_number(expr, pos)
            if scanned is None:
                tokens.append(_Token("rest", expr[pos:], pos))
                return tokens, _at(expr, pos, "bad number or duration syntax")
            kind, end = scanned
            tokens.append(_Token(kind, expr[pos:end], pos))
            pos = end
            continue
        match = _SIMPLE_TOKEN.match(expr, pos)
        if match is None or match.lastgroup is None:
            tokens.append(_Token("rest", expr[pos:], pos))
            return tokens, _at(expr, pos, f"unexpected character: {char!r}")
        kind = cast(_TokenKind, match.lastgroup)
        tokens.append(_Token(kind, match.group(), pos))
        in_brackets = (in_brackets or match.group() == "[") and match.group() != "]"
        pos = match.end()
    return tokens, None


def _opens_range(tokens: list[_Token]) -> bool:
    """Whether the last token other than spaces is "[", where a duration must follow."""
    last = next((token for token in reversed(tokens) if token.kind != "space"), None)
    return _is_op(last, "[")


def _scan_number(text: str, start: int) -> tuple[Literal["number", "duration"], int] | None:
    pos = start
    digits = _DIGITS
    if text.startswith(("0x", "0X"), pos):
        pos += 2
        digits = _HEX_DIGITS
    pos = _skip(text, pos, digits)
    if _char_at(text, pos) == ".":
        pos = _skip(text, pos + 1, digits)
    if _char_at(text, pos) in ("e", "E"):
        pos += 1
        if _char_at(text, pos) in ("+", "-"):
            pos += 1
        pos = _skip(text, pos, _DIGITS)
    if _char_at(text, pos) not in _ALNUM:
        return "number", pos
    # Not a number after all: a duration such as 1h30m must follow.
    units = "smhdwy"
    while True:
        if _char_at(text, pos) not in units:
            return None
        pos += 1
        if _char_at(text, pos) == "s":
            pos += 1
        if _char_at(text, pos) not in _DIGITS:
            break
        pos = _skip(text, pos, _DIGITS)
        units = "smhdw"
    return None if _char_at(text, pos) in _ALNUM else ("duration", pos)


def _char_at(text: str, pos: int) -> str:
    """The character at ``pos``, or "" past the end (never a member of the sets used here)."""
    return text[pos] if pos < len(text) else ""


def _skip(text: str, pos: int, chars: frozenset[str]) -> int:
    while _char_at(text, pos) in chars:
        pos += 1
    return pos


@dataclass
class _Scan:
    """Walking state of ``_check_tokens``.

    ``expect_operand`` tells the two roles of a word apart: ``offset``, ``by``, ``and`` and the
    aggregators are also valid metric names, as ``+`` is also a unary sign.
    """

    stack: list[str] = field(default_factory=list)  # open brackets, innermost last
    expect_operand: bool = True
    keyword: str = ""  # the previous token, if it was a word acting as a keyword
    modifiers: set[int] = field(default_factory=set)  # indexes of "offset" modifiers
    operators: int = 0
    deepest: int = 0


@dataclass(frozen=True, slots=True)
class _Place:
    """A token's neighbours and the bracket it sits in."""

    prev: _Token | None
    prev2: _Token | None
    next: _Token | None
    context: str  # innermost open bracket: paren, group, match, brace, bracket or ""
    offset_before: bool  # right after an offset modifier
    in_offset: bool  # where an offset modifier's duration goes


def _check_tokens(expr: str, tokens: list[_Token]) -> tuple[str | None, str, int]:
    """First 2.42-only rejection, the text to give promql-parser, and a depth for the guard."""
    significant = [token for token in tokens if token.kind not in ("space", "comment")]
    # 2.42's lexer wants a duration straight after "[" and spaces; a comment there fails.
    comment_after_bracket = {
        token.pos: following.pos
        for token, following in zip(tokens, _non_space_successors(tokens), strict=True)
        if _is_op(token, "[") and following is not None and following.kind == "comment"
    }
    replacements: dict[int, str] = {}
    scan = _Scan()
    for index, token in enumerate(significant):
        prev = significant[index - 1] if index >= 1 else None
        after_modifier = index - 1 in scan.modifiers
        place = _Place(
            prev=prev,
            prev2=significant[index - 2] if index >= 2 else None,
            next=significant[index + 1] if index + 1 < len(significant) else None,
            context=scan.stack[-1] if scan.stack else "",
            offset_before=after_modifier,
            in_offset=after_modifier or (_is_op(prev, "-") and index - 2 in scan.modifiers),
        )
        if token.pos in comment_after_bracket:
            return _at(expr, comment_after_bracket[token.pos], _NO_UNIT), expr, 0
        problem = _token_problem(expr, token, place, replacements)
        if problem is not None:
            return problem, expr, 0
        if _is_op(token, "+") and scan.expect_operand and place.context in ("", "paren"):
            # promql-parser drops a unary plus, and with it 2.42's type check on the operand;
            # a unary minus has the same rules.
            replacements[token.pos] = "-"
        if _is_op(token, "[") and place.context in ("", "paren"):
            _move_at_after_range(significant, index, replacements)
        if token.kind == "string" and token.text.startswith("`") and token.pos not in replacements:
            replacements[token.pos] = _double_quote(token.text[1:-1])
        _track(scan, index, token)
    parts = []
    for token in tokens:
        if token.kind == "comment":
            parts.append(" ")  # promql-parser rejects comments inside [...]; 2.42 does not
        else:
            parts.append(replacements.get(token.pos, token.text))
    return None, "".join(parts), scan.operators + scan.deepest


def _move_at_after_range(
    significant: list[_Token], index: int, replacements: dict[int, str]
) -> None:
    """Rewrite ``x @ end()[5m]`` as ``x[5m] @ end()`` for promql-parser.

    2.42 rejects a numeric ``@`` before a range but lets ``@ start()`` and ``@ end()`` through;
    promql-parser rejects both.
    """
    before = significant[max(index - 4, 0) : index]
    if len(before) < 4 or not _is_op(before[0], "@") or not _is_word_in(before[1], _AT_WORDS):
        return
    if not (_is_op(before[2], "(") and _is_op(before[3], ")")):
        return
    close = next((t for t in significant[index + 1 :] if _is_op(t, ":", "]")), None)
    if close is None or close.text == ":":
        return  # a subquery may carry its own @ and promql-parser accepts this form
    for token in before:
        replacements[token.pos] = ""
    replacements[close.pos] = "] @ " + before[1].text + "()"


def _non_space_successors(tokens: list[_Token]) -> list[_Token | None]:
    successors: list[_Token | None] = []
    following: _Token | None = None
    for token in reversed(tokens):
        successors.append(following)
        if token.kind != "space":
            following = token
    return successors[::-1]


def _token_problem(
    expr: str, token: _Token, place: _Place, replacements: dict[int, str]
) -> str | None:
    prev, context, nxt = place.prev, place.context, place.next
    if (
        place.in_offset
        and token.kind != "duration"
        and not (place.offset_before and _is_op(token, "-"))
    ):
        return _at(expr, token.pos, f"unexpected {_go_desc(token)} in offset, expected duration")
    if _is_word(prev, "offset") and _is_word_in(token, ("nan", "inf")):
        # Never valid, and promql-parser panics on it, printing a Rust backtrace.
        return _at(expr, token.pos, f'unexpected number "{token.text}"')
    if token.kind == "duration" and context != "bracket" and not place.in_offset:
        # Prometheus 3 reads a bare duration as a number of seconds; 2.42 does not.
        where = " in @, expected timestamp" if _is_op(prev, "@") else ""
        return _at(expr, token.pos, f"unexpected {_go_desc(token)}{where}")
    if token.kind == "number" and context == "bracket":
        if _is_op(prev, "["):
            return _at(expr, token.pos, _NO_UNIT)
        where = 'subquery selector, expected duration or "]"'
        if not _is_op(prev, ":"):
            where = 'subquery or range, expected ":" or "]"'
        return _at(expr, token.pos, f"unexpected {_go_desc(token)} in {where}")
    if token.kind == "number":
        problem = _number_problem(token.text)
        if problem is not None:
            return _at(expr, token.pos, problem)
    if token.kind == "string":
        return _string_problem(expr, token, prev, place.prev2, context, replacements)
    if token.kind == "ident" and _is_op(nxt, "(") and context not in ("brace", "group", "match"):
        assert nxt is not None
        word = token.text.lower()
        if word in _AT_WORDS:
            if not _is_op(prev, "@"):
                return _at(expr, nxt.pos, 'unexpected "("')
        elif word not in _KEYWORDS:
            if token.text not in _FUNCTIONS:
                return _at(expr, token.pos, f'unknown function with name "{token.text}"')
            if token.text == "holt_winters":
                # Prometheus 3 renamed it; the arguments are the same.
                replacements[token.pos] = "double_exponential_smoothing"
    return None


def _string_problem(
    expr: str,
    token: _Token,
    prev: _Token | None,
    prev2: _Token | None,
    context: str,
    replacements: dict[int, str],
) -> str | None:
    # Prometheus 3 quotes UTF-8 metric and label names; in 2.42 a string there is an error.
    if context == "brace" and _is_op(prev, "{", ","):
        shown = _go_item(token.text)
        return _at(
            expr,
            token.pos,
            f'unexpected string {shown} in label matching, expected identifier or "}}"',
        )
    if context in ("group", "match"):
        shown = _go_item(token.text)
        return _at(expr, token.pos, f"unexpected string {shown} in grouping opts, expected label")
    if context == "brace" and _is_op(prev, "=~", "!~"):
        value = _unquote(token.text)
        if value is not None:
            error, matches_empty = _go_regexp(value)
            if error is not None:
                return _at(expr, (prev2 or token).pos, error)
            replacements[token.pos] = '""' if matches_empty else '"a"'
    return None


def _track(scan: _Scan, index: int, token: _Token) -> None:
    context = scan.stack[-1] if scan.stack else ""
    keyword, scan.keyword = scan.keyword, ""
    if _is_op(token, ")", "}", "]"):
        closed = scan.stack.pop() if scan.stack else ""
        scan.expect_operand = closed == "match"  # on(...) and group_left(...) precede operands
    elif _is_op(token, "("):
        grouping = keyword in _GROUPING and context not in ("brace", "bracket")
        scan.stack.append(("match" if keyword in _MATCHING else "group") if grouping else "paren")
        scan.expect_operand = True
    elif _is_op(token, "{", "["):
        scan.stack.append("brace" if token.text == "{" else "bracket")
    elif context in ("brace", "bracket", "group", "match"):
        pass  # labels and durations: no operands or operators in there
    elif token.kind == "op":
        scan.operators += token.text in _ARITHMETIC
        scan.expect_operand = token.text in _ARITHMETIC or token.text in (",", "@")
    elif token.kind == "ident":
        word = token.text.lower()
        if scan.expect_operand and word not in _NEVER_OPERANDS:
            scan.expect_operand = False  # a metric name, function or aggregation
        else:
            scan.keyword = word
            scan.operators += word in _SET_OPERATORS
            scan.expect_operand = word in _OPERAND_KEYWORDS
            if word == "offset":
                scan.modifiers.add(index)
    else:
        scan.expect_operand = False
    scan.deepest = max(scan.deepest, len(scan.stack))


def _is_op(token: _Token | None, *texts: str) -> bool:
    return token is not None and token.kind == "op" and token.text in texts


def _is_word(token: _Token | None, word: str) -> bool:
    return _is_word_in(token, (word,))


def _is_word_in(token: _Token | None, words: tuple[str, ...]) -> bool:
    return token is not None and token.kind == "ident" and token.text.lower() in words


def _go_desc(token: _Token) -> str:
    """How Prometheus's parser names an unexpected token in its messages."""
    word = token.text.lower()
    if token.kind == "number" or (token.kind == "ident" and word in ("nan", "inf")):
        return f'number "{token.text}"'
    if token.kind in ("duration", "string"):
        return f"{token.kind} {_go_item(token.text)}"
    if token.kind == "ident":
        if word in _AGGREGATORS:
            return f"<aggr:{token.text}>"
        if word in _SET_OPERATORS:
            return f"<op:{token.text}>"
        if word in _KEYWORDS:
            return f"<{token.text}>"
        kind = "metric identifier" if ":" in token.text else "identifier"
        return f'{kind} "{token.text}"'
    if token.text in _ARITHMETIC:
        return f"<op:{token.text}>"
    return _go_quote(token.text)


def _at(expr: str, pos: int, message: str) -> str:
    """Prometheus's ``line:column: parse error: message``, the column counted in bytes."""
    line_start = expr.rfind("\n", 0, pos) + 1
    line = expr.count("\n", 0, pos) + 1
    column = len(expr[line_start:pos].encode("utf-8", "surrogatepass")) + 1
    return f"{line}:{column}: parse error: {message}"


def _number_problem(text: str) -> str | None:
    """Go's strconv verdict on a number token: Python's float() does not fail on overflow."""
    if text[:2] in ("0x", "0X"):
        valid = re.fullmatch(r"0[xX][0-9a-fA-F]+", text) is not None and int(text, 16) < 2**63
    else:
        try:
            valid = not math.isinf(float(text))
        except ValueError:
            valid = False
        if not valid and _is_float_syntax(text):
            return f'error parsing number: strconv.ParseFloat: parsing "{text}": value out of range'
    if valid:
        return None
    return f'error parsing number: strconv.ParseFloat: parsing "{text}": invalid syntax'


def _is_float_syntax(text: str) -> bool:
    return re.fullmatch(r"(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", text) is not None


def _go_item(text: str) -> str:
    """How Prometheus's parser shows an unexpected token: Go's %q, cut after 10 characters."""
    if len(text.encode("utf-8")) > 10:
        return _go_quote(text[:10]) + "..."
    return _go_quote(text)


def _go_quote(text: str) -> str:
    out = ['"']
    for char in text:
        if char in '"\\':
            out.append("\\" + char)
        elif char == "\n":
            out.append("\\n")
        elif char == "\t":
            out.append("\\t")
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\x{ord(char):02x}")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def _double_quote(raw: str) -> str:
    """A raw (backquoted) string as a double-quoted one: promql-parser unescapes raw strings."""
    escaped = raw.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + escaped.replace("\n", "\\n").replace("\r", "\\r") + '"'


_SIMPLE_ESCAPES = {"a": 7, "b": 8, "f": 12, "n": 10, "r": 13, "t": 9, "v": 11, "\\": 92}


def _unquote(token: str) -> str | None:
    """A string token's value as Prometheus sees it; ``None`` if an escape is invalid.

    ``\\x`` and octal escapes make bytes, which need not form UTF-8; such bytes come back as
    surrogate escapes so that the regexp check can reject them as Go does.
    """
    quote, body = token[0], token[1:-1]
    if quote == "`":
        return body
    out = bytearray()
    pos = 0
    while pos < len(body):
        char = body[pos]
        if char != "\\":
            out += char.encode("utf-8")
            pos += 1
            continue
        escape = body[pos + 1]
        if escape in _SIMPLE_ESCAPES:
            out.append(_SIMPLE_ESCAPES[escape])
            pos += 2
        elif escape == quote:
            out += quote.encode("ascii")
            pos += 2
        elif escape in "01234567":
            digits = body[pos + 1 : pos + 4]
            if len(digits) != 3 or any(d not in "01234567" for d in digits) or int(digits, 8) > 255:
                return None
            out.append(int(digits, 8))
            pos += 4
        elif escape in ("x", "u", "U"):
            width = {"x": 2, "u": 4, "U": 8}[escape]
            digits = body[pos + 2 : pos + 2 + width]
            if len(digits) != width or any(d not in _HEX_DIGITS for d in digits):
                return None
            value = int(digits, 16)
            if escape == "x":
                out.append(value)
            elif value > 0x10FFFF or 0xD800 <= value < 0xE000:
                return None
            else:
                out += chr(value).encode("utf-8")
            pos += 2 + width
        else:
            return None
    return out.decode("utf-8", "surrogateescape")


_PP_QUOTED = re.compile(
    r"(with name|call to function|call to|allowed for|set operator|label|twice:|or|identifier)"
    r" '([^']*)'"
)
_PP_UNARY = re.compile(r"type scalar or vector, got: (\w+)")
_PP_TYPE_NAMES = {"matrix": "range vector", "vector": "instant vector"}
_PP_TYPES = (
    (
        "an vector selector or matrix selector",
        "an instant vector selector or range vector selector",
    ),
    ("type matrix", "type range vector"),
    ("type vector", "type instant vector"),
    ("got matrix", "got range vector"),
    ("got vector", "got instant vector"),
    ("between vectors", "between instant vectors"),
    ("double_exponential_smoothing", "holt_winters"),
)


def _prometheus_wording(message: str) -> str:
    """promql-parser's message with Go Prometheus's quoting and type names."""
    message = _PP_QUOTED.sub(r'\1 "\2"', " ".join(message.split()))
    message = _PP_UNARY.sub(
        lambda m: f'type scalar or instant vector, got "{_PP_TYPE_NAMES.get(m[1], m[1])}"', message
    )
    for theirs, ours in _PP_TYPES:
        message = message.replace(theirs, ours)
    return message


# --- Go regexp syntax -----------------------------------------------------------------------

# unicode.Categories and unicode.Scripts of Go 1.19 (Unicode 13), checked against promtool 2.42.
_CATEGORY_NAMES = """
    C Cc Cf Co Cs L Ll Lm Lo Lt Lu M Mc Me Mn N Nd Nl No P Pc Pd Pe Pf Pi Po Ps S Sc Sk Sm So Z Zl
    Zp Zs
"""
_SCRIPT_NAMES = """
    Adlam Ahom Anatolian_Hieroglyphs Arabic Armenian Avestan Balinese Bamum Bassa_Vah Batak Bengali
    Bhaiksuki Bopomofo Brahmi Braille Buginese Buhid Canadian_Aboriginal Carian Caucasian_Albanian
    Chakma Cham Cherokee Chorasmian Common Coptic Cuneiform Cypriot Cyrillic Deseret Devanagari
    Dives_Akuru Dogra Duployan Egyptian_Hieroglyphs Elbasan Elymaic Ethiopic Georgian Glagolitic
    Gothic Grantha Greek Gujarati Gunjala_Gondi Gurmukhi Han Hangul Hanifi_Rohingya Hanunoo Hatran
    Hebrew Hiragana Imperial_Aramaic Inherited Inscriptional_Pahlavi Inscriptional_Parthian
    Javanese Kaithi Kannada Katakana Kayah_Li Kharoshthi Khitan_Small_Script Khmer Khojki Khudawadi
    Lao Latin Lepcha Limbu Linear_A Linear_B Lisu Lycian Lydian Mahajani Makasar Malayalam Mandaic
    Manichaean Marchen Masaram_Gondi Medefaidrin Meetei_Mayek Mende_Kikakui Meroitic_Cursive
    Meroitic_Hieroglyphs Miao Modi Mongolian Mro Multani Myanmar Nabataean Nandinagari New_Tai_Lue
    Newa Nko Nushu Nyiakeng_Puachue_Hmong Ogham Ol_Chiki Old_Hungarian Old_Italic Old_North_Arabian
    Old_Permic Old_Persian Old_Sogdian Old_South_Arabian Old_Turkic Oriya Osage Osmanya
    Pahawh_Hmong Palmyrene Pau_Cin_Hau Phags_Pa Phoenician Psalter_Pahlavi Rejang Runic Samaritan
    Saurashtra Sharada Shavian Siddham SignWriting Sinhala Sogdian Sora_Sompeng Soyombo Sundanese
    Syloti_Nagri Syriac Tagalog Tagbanwa Tai_Le Tai_Tham Tai_Viet Takri Tamil Tangut Telugu Thaana
    Thai Tibetan Tifinagh Tirhuta Ugaritic Vai Wancho Warang_Citi Yezidi Yi Zanabazar_Square
"""
_UNICODE_CATEGORIES = frozenset(_CATEGORY_NAMES.split())
_UNICODE_SCRIPTS = frozenset(_SCRIPT_NAMES.split())
_POSIX_NAMES = "alnum alpha ascii blank cntrl digit graph lower print punct space upper word xdigit"
_POSIX_CLASSES = frozenset(
    f"[:{negate}{name}:]" for negate in ("", "^") for name in _POSIX_NAMES.split()
)
_PERL_CLASSES = frozenset(["\\d", "\\D", "\\s", "\\S", "\\w", "\\W"])
_OCTAL = frozenset("01234567")
_ASCII_ALNUM = _ALNUM - {"_"}
_MAX_REPEAT = 1000


def _go_regexp(value: str) -> tuple[str | None, bool]:
    """Go's verdict on a matcher regex, and whether it matches the empty label value.

    Prometheus 2.42 compiles ``^(?:value)$`` and then parses ``value`` alone, so both must pass.
    """
    anchored = "^(?:" + value + ")$"
    matches_empty = False
    for pattern in (anchored, value):
        bad = next((i for i, char in enumerate(pattern) if "\udc80" <= char <= "\udcff"), None)
        if bad is not None:
            return _RegexpError("invalid UTF-8", pattern[bad:]).message, False
        try:
            nullable = _GoRegexpParser(pattern).parse()
        except _RegexpError as exc:
            return exc.message, False
        if pattern is anchored:
            matches_empty = nullable
    return None, matches_empty


class _RegexpError(Exception):
    def __init__(self, code: str, fragment: str) -> None:
        shown = "".join("\ufffd" if "\udc80" <= c <= "\udcff" else c for c in fragment)
        self.message = f"error parsing regexp: {code}: `{shown}`"
        super().__init__(self.message)


@dataclass(frozen=True, slots=True)
class _Node:
    nullable: bool  # matches the empty string
    weight: int  # largest product of counted repeats along one nesting chain (Go caps it)


_ATOM = _Node(nullable=False, weight=1)
_EMPTY_WIDTH = _Node(nullable=True, weight=1)


@dataclass
class _Group:
    alternatives: list[_Node] = field(default_factory=list)
    items: list[_Node] = field(default_factory=list)

    def close(self) -> _Node:
        branches = [*self.alternatives, _concat(self.items)]
        return _Node(any(b.nullable for b in branches), max(b.weight for b in branches))


def _concat(items: list[_Node]) -> _Node:
    return _Node(all(i.nullable for i in items), max((i.weight for i in items), default=1))


class _GoRegexpParser:
    """Go 1.19 regexp/syntax parsing with Perl flags, keeping only what the verdict needs."""

    def __init__(self, pattern: str) -> None:
        self.s = pattern
        self.groups = [_Group()]

    def parse(self) -> bool:
        s = self.s
        pos = 0
        last_repeat = -1  # where the previous item began, if it was a repetition operator
        while pos < len(s):
            repeat = -1
            char = s[pos]
            items = self.groups[-1].items
            if char == "(":
                pos = self._open(pos)
            elif char == "|":
                group = self.groups[-1]
                group.alternatives.append(_concat(group.items))
                group.items = []
                pos += 1
            elif char == ")":
                if len(self.groups) == 1:
                    raise _RegexpError("unexpected )", s)
                node = self.groups.pop().close()
                self.groups[-1].items.append(node)
                pos += 1
            elif char in "^$":
                items.append(_EMPTY_WIDTH)
                pos += 1
            elif char == "[":
                pos = self._class(pos)
                items.append(_ATOM)
            elif char in "*+?":
                repeat, pos = pos, self._repeat(pos, pos + 1, char, 0, 0, last_repeat)
            elif char == "{" and (counts := _repeat_counts(s, pos)) is not None:
                low, high, end = counts
                if low < 0 or low > _MAX_REPEAT or high > _MAX_REPEAT or 0 <= high < low:
                    raise _RegexpError("invalid repeat count", s[pos:end])
                repeat, pos = pos, self._repeat(pos, end, "{", low, high, last_repeat)
            elif char == "\\":
                pos = self._backslash(pos, items)
            else:
                items.append(_ATOM)
                pos += 1
            last_repeat = repeat
        if len(self.groups) != 1:
            raise _RegexpError("missing closing )", s)
        return self.groups[0].close().nullable

    def _open(self, pos: int) -> int:
        s = self.s
        if not s.startswith("(?", pos):
            self.groups.append(_Group())
            return pos + 1
        if len(s) - pos > 4 and s[pos + 2 : pos + 4] == "P<":
            end = s.find(">", pos)
            if end < 0:
                raise _RegexpError("invalid named capture", s[pos:])
            name = s[pos + 4 : end]
            if not name or any(c != "_" and c not in _ASCII_ALNUM for c in name):
                raise _RegexpError("invalid named capture", s[pos : end + 1])
            self.groups.append(_Group())
            return end + 1
        # Flags: (?i) changes them in place; (?i:...) opens a group; only imsU exist in Go.
        end = pos + 2
        negated = False
        saw_flag = False
        while end < len(s):
            char = s[end]
            end += 1
            if char in "imsU":
                saw_flag = True
            elif char == "-" and not negated:
                negated, saw_flag = True, False
            elif char in ":)" and (saw_flag or not negated):
                if char == ":":
                    self.groups.append(_Group())
                return end
            else:
                break
        raise _RegexpError("invalid or unsupported Perl syntax", s[pos:end])

    def _repeat(self, start: int, end: int, op: str, low: int, high: int, last: int) -> int:
        s = self.s
        if _char_at(s, end) == "?":
            end += 1
        if last >= 0:
            raise _RegexpError("invalid nested repetition operator", s[last:end])
        items = self.groups[-1].items
        if not items:
            raise _RegexpError("missing argument to repetition operator", s[start:end])
        sub = items.pop()
        if op in "*?":
            node = _Node(True, sub.weight)
        elif op == "+":
            node = sub
        elif high == 0:
            node = _Node(True, 1)  # Go does not look inside x{0}
        else:
            factor = high if high > 0 else max(low, 1)
            node = _Node(low == 0 or sub.nullable, factor * sub.weight)
            if (low >= 2 or high >= 2) and node.weight > _MAX_REPEAT:
                raise _RegexpError("invalid repeat count", s[start:end])
        items.append(node)
        return end

    def _backslash(self, pos: int, items: list[_Node]) -> int:
        s = self.s
        kind = _char_at(s, pos + 1)
        if kind in ("A", "z", "B"):
            items.append(_EMPTY_WIDTH)  # all three hold on the empty string; \b does not
            return pos + 2
        if kind == "b":
            items.append(_ATOM)
            return pos + 2
        if kind == "C":
            raise _RegexpError("invalid escape sequence", s[pos : pos + 2])
        if kind == "Q":
            end = s.find("\\E", pos + 2)
            literal = s[pos + 2 :] if end < 0 else s[pos + 2 : end]
            items.extend(_ATOM for _ in literal)
            return len(s) if end < 0 else end + 2
        if kind in ("p", "P"):
            end = self._unicode_class(pos)
        elif s[pos : pos + 2] in _PERL_CLASSES:
            end = pos + 2
        else:
            _, end = self._escape(pos)
        items.append(_ATOM)
        return end

    def _unicode_class(self, pos: int) -> int:
        s = self.s
        if _char_at(s, pos + 2) != "{":
            end = min(pos + 3, len(s))
            sequence, name = s[pos:end], s[pos + 2 : end]
        else:
            close = s.find("}", pos)
            if close < 0:
                raise _RegexpError("invalid character class range", s[pos:])
            end = close + 1
            sequence, name = s[pos:end], s[pos + 3 : close]
        name = name.removeprefix("^")
        if name != "Any" and name not in _UNICODE_CATEGORIES and name not in _UNICODE_SCRIPTS:
            raise _RegexpError("invalid character class range", sequence)
        return end

    def _class(self, start: int) -> int:
        s = self.s
        pos = start + 1
        if _char_at(s, pos) == "^":
            pos += 1
        first = True  # a leading ] is a literal
        while pos >= len(s) or s[pos] != "]" or first:
            first = False
            if s.startswith("[:", pos) and len(s) - pos > 2:
                close = s.find(":]", pos + 2)
                if close >= 0:
                    if s[pos : close + 2] not in _POSIX_CLASSES:
                        raise _RegexpError("invalid character class range", s[pos : close + 2])
                    pos = close + 2
                    continue
            if s.startswith(("\\p", "\\P"), pos):
                pos = self._unicode_class(pos)
                continue
            if s[pos : pos + 2] in _PERL_CLASSES:
                pos += 2
                continue
            range_start = pos
            low, pos = self._class_char(pos, start)
            if _char_at(s, pos) == "-" and _char_at(s, pos + 1) not in ("", "]"):
                high, pos = self._class_char(pos + 1, start)
                if high < low:
                    raise _RegexpError("invalid character class range", s[range_start:pos])
        return pos + 1

    def _class_char(self, pos: int, class_start: int) -> tuple[int, int]:
        if pos >= len(self.s):
            raise _RegexpError("missing closing ]", self.s[class_start:])
        if self.s[pos] == "\\":
            return self._escape(pos)
        return ord(self.s[pos]), pos + 1

    def _escape(self, pos: int) -> tuple[int, int]:
        """An ordinary escape's code point and end, as Go's parseEscape reads it."""
        s = self.s
        if pos + 1 >= len(s):
            raise _RegexpError("trailing backslash at end of expression", "")
        char = s[pos + 1]
        end = pos + 2
        if ord(char) < 0x80 and char not in _ASCII_ALNUM:
            return ord(char), end
        if char in "1234567" and _char_at(s, end) not in _OCTAL:
            raise _RegexpError("invalid escape sequence", s[pos:end])  # a backreference
        if char in _OCTAL:
            value = int(char)
            for _ in range(2):
                if _char_at(s, end) not in _OCTAL:
                    break
                value = value * 8 + int(s[end])
                end += 1
            return value, end
        if char == "x":
            return self._hex_escape(pos)
        simple = {"a": 7, "f": 12, "n": 10, "r": 13, "t": 9, "v": 11}
        if char in simple:
            return simple[char], end
        raise _RegexpError("invalid escape sequence", s[pos:end])

    def _hex_escape(self, pos: int) -> tuple[int, int]:
        s = self.s
        end = pos + 2
        if end >= len(s):
            raise _RegexpError("invalid escape sequence", s[pos:end])
        if s[end] == "{":
            end += 1
            value = digits = 0
            while True:
                if end >= len(s):
                    raise _RegexpError("invalid escape sequence", s[pos:end])
                char = s[end]
                end += 1
                if char == "}":
                    break
                if char not in _HEX_DIGITS:
                    raise _RegexpError("invalid escape sequence", s[pos:end])
                value = value * 16 + int(char, 16)
                digits += 1
                if value > 0x10FFFF:
                    raise _RegexpError("invalid escape sequence", s[pos:end])
            if digits == 0:
                raise _RegexpError("invalid escape sequence", s[pos:end])
            return value, end
        pair = s[end : end + 2]
        end = min(end + 2, len(s))
        if len(pair) != 2 or any(c not in _HEX_DIGITS for c in pair):
            raise _RegexpError("invalid escape sequence", s[pos:end])
        return int(pair, 16), end


_REPEAT_COUNTS = re.compile(r"\{(0|[1-9][0-9]*)(?:(,)(0|[1-9][0-9]*)?)?\}")


def _repeat_counts(s: str, pos: int) -> tuple[int, int, int] | None:
    """``{n}``, ``{n,}`` or ``{n,m}`` at ``pos`` as (n, m or -1, end); ``None`` if a literal."""
    match = _REPEAT_COUNTS.match(s, pos)
    if match is None:
        return None
    low = _go_int(match.group(1))
    if match.group(2) is None:
        high = low
    elif match.group(3) is None:
        high = -1
    else:
        high = _go_int(match.group(3))
        if high < 0:
            low = -1  # Go's marker for a number too big to read
    return low, high, match.end()


def _go_int(digits: str) -> int:
    """Go stops reading at 1e8 and reports -1, so huge counts fail as "invalid repeat count"."""
    value = 0
    for digit in digits:
        if value >= 100_000_000:
            return -1
        value = value * 10 + int(digit)
    return value
