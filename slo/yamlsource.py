"""YAML documents that remember where every node came from.

Spec errors are reported as `FILE:LINE:COL: message` against the file the user wrote, so the
loaders must know the position of every key and value. This module splits a file into
documents the way Sloth does (trim; blank out lines starting with `#`; split on `---` at the
start of a line; drop empty parts) while keeping each document's offset in the original file,
and parses each document into plain dicts, lists and scalars that carry their positions
(`Map`, `Seq`, and the `*_loc` look-ups). Lines and columns are 1-based, as editors show them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

try:  # libyaml parses about ten times faster; the pure-Python parser gives the same marks.
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

_COMMENT_LINE_RE = re.compile(r"(?m)^#.*$")
_DOC_SPLIT_RE = re.compile(r"(?m)^---")
_WHITESPACE = " \t\n\r\v\f"


@dataclass(frozen=True)
class Location:
    """A position in a source file (1-based line and column)."""

    file: str
    line: int = 1
    column: int = 1

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Document:
    """One YAML document of a file: its text and where that text starts in the file."""

    file: str
    text: str
    first_line: int
    first_column: int

    def location(self, line0: int, column0: int) -> Location:
        """Map a 0-based position inside `text` back to the original file."""
        column = column0 + (self.first_column if line0 == 0 else 1)
        return Location(self.file, self.first_line + line0, column)

    @property
    def start(self) -> Location:
        return Location(self.file, self.first_line, self.first_column)


class SpecSyntaxError(Exception):
    """A document that is not well-formed YAML."""

    def __init__(self, location: Location, message: str) -> None:
        super().__init__(f"{location}: {message}")
        self.location = location
        self.message = message


class Map(dict):
    """A YAML mapping that knows where it, its keys and its values are."""

    loc: Location
    key_locs: dict[Any, Location]
    value_locs: dict[Any, Location]
    raw: dict[Any, str]
    duplicate_keys: list[tuple[Any, Location]]

    def key_loc(self, key: Any) -> Location:
        return self.key_locs.get(key, self.loc)

    def value_loc(self, key: Any) -> Location:
        return self.value_locs.get(key, self.loc)


class Seq(list):
    """A YAML sequence that knows where it and its items are."""

    loc: Location
    item_locs: list[Location]
    raw: list[str | None]

    def item_loc(self, index: int) -> Location:
        return self.item_locs[index] if index < len(self.item_locs) else self.loc


def plain(value: Any) -> Any:
    """Position-carrying values back to plain dicts (string keys) and lists, for output.

    Keys become text, as they would through JSON, which is how Sloth hands plugin configs on.
    """
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def split_documents(text: str, file: str) -> list[Document]:
    """Split like Sloth's `SplitYAML`, keeping each part's position in the original text."""
    start = len(text) - len(text.lstrip(_WHITESPACE))
    end = len(text.rstrip(_WHITESPACE))
    body = _COMMENT_LINE_RE.sub(lambda m: "", text[start:end])
    # Blanking comment lines keeps every other line where it was; map offsets through `body`.
    documents = []
    cursor = 0
    pieces = [*(m.start() for m in _DOC_SPLIT_RE.finditer(body)), len(body)]
    for boundary in pieces:
        part = body[cursor:boundary]
        part_start = cursor
        cursor = boundary + 3
        stripped = part.strip(_WHITESPACE)
        if not stripped:
            continue
        offset_in_body = part_start + (len(part) - len(part.lstrip(_WHITESPACE)))
        line, column = _position(text, body, start, offset_in_body)
        documents.append(Document(file, stripped, line, column))
    return documents


def _position(text: str, body: str, start: int, offset: int) -> tuple[int, int]:
    before = text[:start] + body[:offset]
    return before.count("\n") + 1, len(before) - before.rfind("\n")


# Aliases let a small file expand into an enormous tree ("billion laughs"): a document may
# visit at most this many nodes, aliases counted each time they are used.
MAX_NODES = 200_000


def parse_document(document: Document) -> Any:
    """Parse one document into `Map`/`Seq`/scalars; raise `SpecSyntaxError` on bad YAML."""
    loader = _Loader(document.text)
    try:
        node = loader.get_single_node()
        return _convert(loader, node, document, [0]) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        location = document.location(mark.line, mark.column) if mark else document.start
        raise SpecSyntaxError(location, f"invalid YAML: {_one_line(exc.problem or exc.context)}"
                              ) from None
    except yaml.reader.ReaderError as exc:
        text = document.text
        line0 = text.count("\n", 0, exc.position)
        column0 = exc.position - (text.rfind("\n", 0, exc.position) + 1)
        raise SpecSyntaxError(document.location(line0, column0),
                              f"invalid YAML: character #x{exc.character:04x}: {exc.reason}"
                              ) from None
    except yaml.YAMLError as exc:
        raise SpecSyntaxError(document.start, f"invalid YAML: {_one_line(str(exc))}") from None
    finally:
        loader.dispose()


def _one_line(text: str | None) -> str:
    return " ".join((text or "").split())


def _loc(document: Document, node: yaml.Node) -> Location:
    return document.location(node.start_mark.line, node.start_mark.column)


def _convert(loader: Any, node: yaml.Node, document: Document, visited: list[int]) -> Any:
    visited[0] += 1
    if visited[0] > MAX_NODES:
        raise SpecSyntaxError(_loc(document, node), f"document too large: over {MAX_NODES} "
                              "nodes once aliases are expanded")
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)
        result = Map()
        result.loc = _loc(document, node)
        result.key_locs, result.value_locs, result.raw, result.duplicate_keys = {}, {}, {}, []
        for key_node, value_node in node.value:
            key = _convert(loader, key_node, document, visited)
            if not isinstance(key, str | int | float | bool) and key is not None:
                key = str(key)
            if key in result:
                result.duplicate_keys.append((key, _loc(document, key_node)))
            result[key] = _convert(loader, value_node, document, visited)
            result.key_locs[key] = _loc(document, key_node)
            result.value_locs[key] = _loc(document, value_node)
            if isinstance(value_node, yaml.ScalarNode):
                result.raw[key] = value_node.value
        return result
    if isinstance(node, yaml.SequenceNode):
        seq = Seq(_convert(loader, item, document, visited) for item in node.value)
        seq.loc = _loc(document, node)
        seq.item_locs = [_loc(document, item) for item in node.value]
        seq.raw = [item.value if isinstance(item, yaml.ScalarNode) else None for item in node.value]
        return seq
    try:
        return loader.construct_object(node, deep=True)
    except ValueError as exc:  # e.g. an integer longer than Python converts (4300 digits)
        raise SpecSyntaxError(_loc(document, node), f"invalid value: {_one_line(str(exc))}"
                              ) from None
