"""A direct YAML writer for the documents `slo.render.dump` writes (rule files, PrometheusRule
objects, Alertmanager and Prometheus configs), byte for byte what PyYAML writes for them.

Why it exists: `yaml.dump` runs PyYAML's representer in pure Python, one `represent_data` call
per node (about 350,000 for the rules of 1,000 SLOs), even when libyaml writes the text; that
was half the time of `jupyter-slo generate`. The documents are plain dicts, lists and strings,
so the text can be written straight from them. Sloth's golden files and ours pin the bytes, so
the rules below reproduce `yaml.dump(data, Dumper=render._Dumper, width=80, allow_unicode=True,
default_flow_style=False)`, i.e. PyYAML's CSafeDumper (libyaml 0.2) with `slo.render`'s string
representer. They were written from the YAML spec and libyaml's observed behaviour; the
differential tests in tests/slo/test_yamlemit.py hold them to it.

Layout (block style, indent 2):
- a mapping's keys sit at its indentation; a mapping nested in a mapping sits 2 deeper; a
  sequence nested in a mapping is not indented (`key:` then `- item` at the key's column); a
  mapping or sequence that is a sequence item starts on the `- ` line, 2 deeper;
- empty mappings and sequences are written `{}` and `[]`; no tags, no aliases, no `---`; a
  document whose last block scalar keeps its trailing line breaks (`|+`) ends with `...`, as
  libyaml marks it open-ended.

Scalars:
- a string with a line break is a literal block: `|`, `|-` (no final break) or `|+` (several),
  preceded by the indentation indicator `2` when it starts with a space or a break; unless it
  has trailing spaces on a line or unprintable characters: then double-quoted;
- a string YAML would read as another type (`"true"`, `"1.5"`, `""`, `"~"`) is double-quoted
  (PyYAML's own resolver decides);
- otherwise plain, unless YAML forbids it (an indicator first, `: ` or ` #` inside, a leading or
  trailing space, `---`/`...` first): then single-quoted; with characters libyaml does not
  print (controls, U+0085, U+FEFF, U+FFFE/F, anything beyond U+FFFF), double-quoted with
  libyaml's escapes. Other non-ASCII text is written as is (`allow_unicode`);
- plain and quoted values fold at a single space once the column is past 80, continuing 2
  columns deeper than their container; keys never fold;
- `None`, booleans and ints are written as PyYAML does: `null`, `true`, `3`.

Anything else raises `Unsupported` and the caller falls back to PyYAML for the whole document:
floats, other types (dict and list subclasses included), non-string keys, keys that are not
YAML "simple keys" (with a line break, or over 128 bytes in UTF-8), the line separators U+2028
and U+2029 (libyaml treats them as breaks inside plain and quoted text), lone surrogates, and a
document that is not a mapping or a sequence.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from yaml.resolver import Resolver

WIDTH = 80
INDENT = 2
# More than this many bytes and libyaml writes a key in the `? key` form.
SIMPLE_KEY_BYTES = 128

_STR_TAG = "tag:yaml.org,2002:str"
_RESOLVERS = Resolver.yaml_implicit_resolvers

# libyaml prints all but these as they are (with allow_unicode): its printable set is line
# feed, U+0020-U+007E, U+00A0-U+D7FF and U+E000-U+FFFD but U+FEFF. Inside double quotes these,
# line feeds, `"` and `\` are escaped. (Listed, not negated: a negated class this wide takes
# milliseconds to compile, which every command would pay at start-up.)
_UNPRINTABLE_CHARS = ("\x00-\x09\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufeff\ufffe\uffff"
                      "\U00010000-\U0010ffff")
_UNPRINTABLE = re.compile(f"[{_UNPRINTABLE_CHARS}]")
_DOUBLE_ESCAPED = re.compile(f'[\n{_UNPRINTABLE_CHARS}"\\\\]')
_UNSUPPORTED = re.compile("[\u2028\u2029\ud800-\udfff]")
_BREAKS = re.compile("[\r\n\x85]")
# What keeps a printable single-line string from being plain: an indicator first, `---`/`...`
# first, `: ` or `:` last, ` #`, a leading or trailing space.
_NOT_PLAIN = re.compile(r"^(?:---|\.\.\.|[#,\[\]{}&*!|>'\"%@`]|[-?:](?: |$)| )|: |:$| #| $")
_ESCAPES = {"\0": "0", "\a": "a", "\b": "b", "\t": "t", "\n": "n", "\v": "v", "\f": "f",
            "\r": "r", "\x1b": "e", '"': '"', "\\": "\\", "\x85": "N"}

_PLAIN, _SINGLE, _DOUBLE, _LITERAL = range(4)


class Unsupported(Exception):
    """The data holds something this writer does not reproduce exactly: use PyYAML."""


def dump(data: Any, *, sort_keys: bool = False) -> str:
    """The YAML text of a mapping or sequence, as `slo.render`'s PyYAML dumper writes it."""
    kind = type(data)
    if kind is not dict and kind is not list:
        raise Unsupported(f"document of type {kind.__name__}")
    if not data:
        return "{}\n" if kind is dict else "[]\n"
    writer = _Writer(sort_keys)
    if kind is dict:
        writer.mapping(data, 0, inline=True)
    else:
        writer.sequence(data, 0, inline=True)
    return writer.finish()


def _resolves_to_str(text: str) -> bool:
    """Whether `text`, written plain, reads back as a string (PyYAML's implicit resolvers)."""
    for tag, regexp in _RESOLVERS.get(text[:1], ()):
        if regexp.match(text):
            return tag == _STR_TAG
    return True


def _escape(char: str) -> str:
    """libyaml's escape for one character inside double quotes (hex digits upper case)."""
    short = _ESCAPES.get(char)
    if short:
        return "\\" + short
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02X}"
    if code <= 0xFFFF:
        return f"\\u{code:04X}"
    return f"\\U{code:08X}"


def _double_quoted(text: str) -> str:
    return '"' + _DOUBLE_ESCAPED.sub(lambda m: _escape(m.group()), text) + '"'


def _single_quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _block_hints(text: str) -> str:
    """Indentation indicator (text starts with a space or break) and chomping indicator."""
    indent = str(INDENT) if text[0] in " \n" else ""
    if not text.endswith("\n"):
        return indent + "-"
    if len(text) == 1 or text[-2] == "\n":
        return indent + "+"
    return indent


def _style(text: str) -> tuple[int, str]:
    """How a string value is written, and its unfolded text (the block header for literals).

    First the style `slo.render` asks for (literal for multi-line text, double quotes for text
    that resolves to another type, else plain), then libyaml's downgrades when YAML cannot
    carry the text in that style.
    """
    ascii_line = text.isascii() and text.isprintable()  # the usual: no character to check
    if not ascii_line and _UNSUPPORTED.search(text):
        raise Unsupported("line separator or surrogate in a string")
    unprintable = not ascii_line and _UNPRINTABLE.search(text) is not None
    if "\n" in text:
        if unprintable or text.endswith(" ") or " \n" in text:
            return _DOUBLE, _double_quoted(text)
        return _LITERAL, "|" + _block_hints(text)
    if unprintable or not _resolves_to_str(text):
        return _DOUBLE, _double_quoted(text)
    if _NOT_PLAIN.search(text):
        return _SINGLE, _single_quoted(text)
    return _PLAIN, text


def _key_text(key: str) -> str:
    """A mapping key: like a value, but a key must be a one-line "simple key"."""
    if _BREAKS.search(key) or len(key.encode("utf-8", "surrogatepass")) > SIMPLE_KEY_BYTES:
        raise Unsupported(f"key {key[:40]!r}... is not a simple key")
    return _style(key)[1]


def _fold_plain(text: str, column: int, indent: int) -> str:
    """A plain scalar from `column`, broken where libyaml breaks plain and single-quoted ones:
    at a space past the width whose neighbours are not spaces (nor the ends of the text).

    Splitting at spaces makes a run of n spaces n - 1 empty words, so "neither neighbour is a
    space" is "both words around this space are non-empty".
    """
    words = text.split(" ")
    out = [words[0]]
    column += len(words[0])
    newline = "\n" + " " * indent
    previous = words[0]
    for word in words[1:]:
        if previous and word and column > WIDTH:
            out.append(newline)
            column = indent
        else:
            out.append(" ")
            column += 1
        out.append(word)
        column += len(word)
        previous = word
    return "".join(out)


def _fold_single(text: str, column: int, indent: int) -> str:
    """A single-quoted scalar whose quote is at `column` (quotes doubled inside)."""
    return "'" + _fold_plain(text.replace("'", "''"), column + 1, indent) + "'"


def _fold_double(text: str, column: int, indent: int) -> str:
    """A double-quoted scalar whose quote is at `column`.

    It breaks at a space past the width that does not follow another space and is neither
    first nor last; a space starting the next line is kept with a `\\`.
    """
    out = ['"']
    column += 1
    last = len(text) - 1
    spaces = False
    for i, char in enumerate(text):
        if char == " ":
            if not spaces and column > WIDTH and 0 < i < last:
                out.append("\n" + " " * indent)
                column = indent
                if text[i + 1] == " ":
                    out.append("\\")
                    column += 1
            else:
                out.append(char)
                column += 1
            spaces = True
            continue
        piece = _escape(char) if _DOUBLE_ESCAPED.match(char) else char
        out.append(piece)
        column += len(piece)
        spaces = False
    out.append('"')
    return "".join(out)


_FOLDERS: dict[int, Callable[[str, int, int], str]] = {
    _PLAIN: _fold_plain, _SINGLE: _fold_single, _DOUBLE: _fold_double}


class _Writer:
    """One document's text, built in `out`.

    Every key and item starts with its own line break, except the very first and those right
    after `- `. A literal block that ends with a line break leaves it to the next key or item
    (or to `finish`), which is the same text. `open_ended` is true when the last literal block
    kept its trailing breaks (`|+`).
    """

    def __init__(self, sort_keys: bool) -> None:
        self.out: list[str] = []
        self.sort_keys = sort_keys
        self.open_ended = False
        # Per indentation: key -> ("\n" + indentation + key + ":", the column after the ":").
        self.prefixes: dict[int, dict[str, tuple[str, int]]] = {}
        # String -> (style, " " + its unfolded text or the block header, the last indicator
        # column at which that text still fits the width: -1 for literal blocks).
        self.styles: dict[str, tuple[int, str, int]] = {}

    def finish(self) -> str:
        self.out.append("\n...\n" if self.open_ended else "\n")
        return "".join(self.out)

    def classify(self, text: str) -> tuple[int, str, int]:
        kind, written = _style(text)
        room = -1 if kind == _LITERAL else WIDTH - len(written)
        style = self.styles[text] = (kind, " " + written, room)
        return style

    def key_prefix(self, key: Any, indent: int) -> tuple[str, int]:
        if type(key) is not str:
            raise Unsupported(f"key of type {type(key).__name__}")
        text = _key_text(key)
        entry = self.prefixes[indent][key] = ("\n" + " " * indent + text + ":",
                                               indent + len(text) + 1)
        return entry

    def mapping(self, data: dict, indent: int, *, inline: bool) -> None:
        """A non-empty mapping whose keys sit at column `indent`; `inline`: the first key goes
        right where the output is (document start, or after a sequence's `- `)."""
        out = self.out
        styles = self.styles
        prefixes = self.prefixes.setdefault(indent, {})
        if self.sort_keys:
            try:
                items: Any = sorted(data.items())
            except TypeError:
                raise Unsupported("keys of mixed types") from None
        else:
            items = data.items()
        for key, value in items:
            prefix, column = prefixes.get(key) or self.key_prefix(key, indent)
            if inline:
                inline = False
                prefix = prefix[indent + 1:]
            if type(value) is str:
                style = styles.get(value) or self.classify(value)
                if column <= style[2]:  # the usual: fits on the line, nothing to fold
                    out.append(prefix + style[1])
                    continue
                out.append(prefix)
                self.scalar(value, style, column, indent + INDENT)
            elif type(value) is dict and value:
                out.append(prefix)
                self.mapping(value, indent + INDENT, inline=False)
            else:
                out.append(prefix)
                self.node(value, column, indent, in_mapping=True)

    def sequence(self, data: list, indent: int, *, inline: bool) -> None:
        """A non-empty sequence whose `-` sit at column `indent`."""
        out = self.out
        newline = "\n" + " " * indent + "-"
        for item in data:
            if inline:
                inline = False
                out.append("-")
            else:
                out.append(newline)
            self.node(item, indent + 1, indent, in_mapping=False)

    def node(self, value: Any, column: int, indent: int, *, in_mapping: bool) -> None:
        """Any value after `key:` or `-`, which end at `column`; `indent` is the container's."""
        kind = type(value)
        if kind is str:
            style = self.styles.get(value) or self.classify(value)
            self.scalar(value, style, column, indent + INDENT)
        elif kind is dict:
            if not value:
                self.out.append(" {}")
            elif in_mapping:
                self.mapping(value, indent + INDENT, inline=False)
            else:
                self.out.append(" ")
                self.mapping(value, indent + INDENT, inline=True)
        elif kind is list:
            if not value:
                self.out.append(" []")
            elif in_mapping:
                self.sequence(value, indent, inline=False)  # PyYAML's indentless sequence
            else:
                self.out.append(" ")
                self.sequence(value, indent + INDENT, inline=True)
        elif value is None:
            self.out.append(" null")
        elif kind is bool:
            self.out.append(" true" if value else " false")
        elif kind is int:
            self.out.append(" " + str(value))
        else:
            raise Unsupported(f"value of type {kind.__name__}")

    def scalar(self, text: str, style: tuple[int, str, int], column: int, indent: int) -> None:
        """A string after an indicator ending at `column`; continuation lines at `indent`."""
        kind, written, room = style
        if kind == _LITERAL:
            self.literal(text, written, indent)
        elif column <= room:
            self.out.append(written)
        else:
            self.out.append(" " + _FOLDERS[kind](text, column + 1, indent))

    def literal(self, text: str, header: str, indent: int) -> None:
        """A literal block: its lines at `indent`, empty lines left empty.

        A final line break is left out: the next key, item or `finish` writes one.
        """
        pad = " " * indent
        lines = [pad + line if line else line for line in text.split("\n")]
        if text.endswith("\n"):
            lines.pop()
        self.out.append(header + "\n" + "\n".join(lines))
        self.open_ended = header.endswith("+")
