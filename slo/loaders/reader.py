"""Typed, position-aware reading of one YAML mapping, with Go-like decoding rules.

Sloth decodes specs with Go's JSON rules: field names match case-insensitively for
`prometheus/v1`, unknown fields are ignored, and a value of the wrong type is an error. A
`Reader` does the same for one mapping, records where each field was written (under a
canonical path shared by every format, so validation can point at any format's line), and
warns about keys Sloth would silently drop.
"""

from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation
from typing import Any

from slo import duration
from slo.gofmt import format_float32_g
from slo.problems import Problem
from slo.yamlsource import Location, Map, Seq

_TYPE_NAMES = {str: "a string", bool: "a boolean", dict: "a mapping", list: "a list"}


def describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return "a string" if isinstance(value, str) else type(value).__name__


class Reader:
    """Reads fields of one mapping; `finish()` warns about the fields nobody asked for."""

    def __init__(
        self,
        mapping: Map,
        problems: list[Problem],
        locations: dict[tuple[Any, ...], Location],
        path: tuple[Any, ...] = (),
        *,
        fold_case: bool = False,
        strict: bool = False,
    ) -> None:
        self.mapping = mapping
        self.problems = problems
        self.locations = locations
        self.path = path
        self.fold_case = fold_case
        self.strict = strict
        self._used: set[Any] = set()
        if path:
            locations.setdefault(path, mapping.loc)
        for key, loc in mapping.duplicate_keys:
            problems.append(Problem(loc, f"{self._name(key)}: duplicate key, the last one wins",
                                    warning=True))

    @property
    def loc(self) -> Location:
        return self.mapping.loc

    def _name(self, key: Any) -> str:
        return ".".join(str(p) for p in (*self.path, key))

    def _find(self, key: str) -> Any:
        if key in self.mapping:
            return key
        if self.fold_case:
            for candidate in self.mapping:
                if isinstance(candidate, str) and candidate.lower() == key.lower():
                    return candidate
        return None

    def has(self, key: str) -> bool:
        return self._find(key) is not None

    def _take(self, key: str, canonical: str | None) -> tuple[Any, Any] | None:
        actual = self._find(key)
        if actual is None:
            return None
        self._used.add(actual)
        self.locations[(*self.path, canonical or key)] = self.mapping.value_loc(actual)
        return actual, self.mapping[actual]

    def error(self, key: str | None, message: str) -> None:
        actual = self._find(key) if key else None
        loc = self.mapping.value_loc(actual) if actual is not None else self.mapping.loc
        self.problems.append(Problem(loc, message))

    def _type_error(self, actual: Any, name: str, wanted: str, value: Any) -> None:
        self.problems.append(Problem(self.mapping.value_loc(actual),
                                     f"{name}: expected {wanted}, got {describe(value)}"))

    def string(self, key: str, canonical: str | None = None) -> str:
        found = self._take(key, canonical)
        if found is None or found[1] is None:
            return ""
        actual, value = found
        if not isinstance(value, str):
            self._type_error(actual, self._name(canonical or key), "a string", value)
            return ""
        return value

    def boolean(self, key: str, canonical: str | None = None) -> bool:
        found = self._take(key, canonical)
        if found is None or found[1] is None:
            return False
        actual, value = found
        if not isinstance(value, bool):
            self._type_error(actual, self._name(canonical or key), "a boolean", value)
            return False
        return value

    def integer(self, key: str, canonical: str | None = None) -> int:
        found = self._take(key, canonical)
        if found is None or found[1] is None:
            return 0
        actual, value = found
        if isinstance(value, bool) or not isinstance(value, int):
            self._type_error(actual, self._name(canonical or key), "an integer", value)
            return 0
        return value

    def number(self, key: str, canonical: str | None = None) -> tuple[Decimal, float] | None:
        """A float field as (exact decimal from the text, the float64 Go would read)."""
        found = self._take(key, canonical)
        if found is None:
            return None
        actual, value = found
        if isinstance(value, bool) or not isinstance(value, int | float):
            self._type_error(actual, self._name(canonical or key), "a number", value)
            return None
        if not math.isfinite(value):
            self.problems.append(Problem(self.mapping.value_loc(actual),
                                         f"{self._name(canonical or key)}: expected a finite "
                                         "number"))
            return None
        raw = self.mapping.raw.get(actual, "")
        try:
            exact = Decimal(raw.replace("_", ""))
        except InvalidOperation:
            exact = Decimal(repr(float(value)))
        return exact, float(value)

    def raw(self, key: str, canonical: str | None = None) -> Any:
        found = self._take(key, canonical)
        return None if found is None else found[1]

    def child(self, key: str, canonical: str | None = None) -> Reader | None:
        found = self._take(key, canonical)
        if found is None or found[1] is None:
            return None
        actual, value = found
        if not isinstance(value, Map):
            self._type_error(actual, self._name(canonical or key), "a mapping", value)
            return None
        return Reader(value, self.problems, self.locations, (*self.path, canonical or key),
                      fold_case=self.fold_case, strict=self.strict)

    def children(self, key: str, canonical: str | None = None) -> list[Reader]:
        found = self._take(key, canonical)
        if found is None or found[1] is None:
            return []
        actual, value = found
        name = self._name(canonical or key)
        if not isinstance(value, Seq):
            self._type_error(actual, name, "a list", value)
            return []
        readers = []
        for index, item in enumerate(value):
            if not isinstance(item, Map):
                self.problems.append(
                    Problem(value.item_loc(index), f"{name}[{index}]: expected a mapping, "
                                                   f"got {describe(item)}"))
                continue
            # Each item records into a dict of its own: `relative_locations` of one SLO then
            # reads only that SLO's entries (a shared dict made it quadratic in SLOs).
            readers.append(Reader(item, self.problems, {},
                                  (*self.path, canonical or key, index), fold_case=self.fold_case,
                                  strict=self.strict))
        return readers

    def string_map(self, key: str, canonical: str | None = None, *, coerce: bool) -> dict[str, str]:
        """A `map[string]string`; with `coerce`, numbers and booleans become text.

        `coerce` mirrors sigs.k8s.io/yaml, which Sloth's `prometheus/v1` loader goes through:
        `true` becomes "true", `90` "90" and `0.2` is printed as a float32.
        """
        found = self._take(key, canonical)
        if found is None or found[1] is None:
            return {}
        actual, value = found
        name = self._name(canonical or key)
        if not isinstance(value, Map):
            self._type_error(actual, name, "a mapping", value)
            return {}
        out: dict[str, str] = {}
        for item_key, item in value.items():
            if item_key is None:
                self.problems.append(Problem(value.key_loc(item_key),
                                             f"{name}: a label name must not be null"))
                continue
            path = (*self.path, canonical or key, str(item_key))
            self.locations[path] = value.key_loc(item_key)
            text = _coerce(item) if coerce else item
            if item is None:
                text = ""
            if not isinstance(text, str):
                self.problems.append(Problem(value.value_loc(item_key),
                                             f"{name}.{item_key}: expected a string, got "
                                             f"{describe(item)}"))
                continue
            out[str(item_key)] = text
        return out

    def finish(self, *, ignored: tuple[str, ...] = ()) -> None:
        """Flag every key that was not read: an error in strict formats, else a warning
        (Sloth's formats drop unknown keys without a word; we at least say so)."""
        for key in self.mapping:
            if key in self._used or (isinstance(key, str) and key in ignored):
                continue
            message = "unknown field" if self.strict else "unknown field, ignored"
            self.problems.append(Problem(self.mapping.key_loc(key), f"{self._name(key)}: {message}",
                                         warning=not self.strict))

    def duration_ms(self, key: str) -> int | None:
        """A Prometheus duration field (`30d`, `5m`), in milliseconds."""
        text = self.string(key)
        if not text:
            return None
        try:
            return duration.parse(text)
        except duration.DurationError as exc:
            self.error(key, f"{self._name(key)}: {exc}")
            return None


def _coerce(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format_float32_g(value)
    return value


def relative_locations(reader: Reader) -> dict[tuple[Any, ...], Location]:
    """The locations recorded under `reader`, with its own path stripped off."""
    size = len(reader.path)
    return {k[size:]: v for k, v in reader.locations.items() if k[:size] == reader.path}
