"""Go's number and string formatting, reproduced for byte-exact Sloth compatibility.

Sloth prints floats with Go's `strconv.FormatFloat` and quotes label values with Go's `%q`.
Python's `repr` already finds the shortest round-tripping digits; only the layout differs
(Go prints `6`, not `6.0`, and switches to `1e+06` at an exponent of 6). Nothing here is used
by the default mode, which prints exact decimals instead.
"""

from __future__ import annotations

from decimal import Decimal


def _shortest_digits(value: float) -> tuple[str, int]:
    """Shortest round-trip digits and the decimal-point position, as Go's `digs.d`/`digs.dp`."""
    _, digits, exponent = Decimal(repr(value)).normalize().as_tuple()
    text = "".join(str(d) for d in digits)
    assert isinstance(exponent, int)
    return text, len(text) + exponent


def format_g(value: float) -> str:
    """`strconv.FormatFloat(value, 'g', -1, 64)`, which is also what `%g` and `%v` print."""
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "+Inf" if value > 0 else "-Inf"
    if value == 0:
        return "-0" if str(value).startswith("-") else "0"
    sign = "-" if value < 0 else ""
    digits, point = _shortest_digits(abs(value))
    exponent = point - 1
    if exponent < -4 or exponent >= 6:
        mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{sign}{mantissa}e{'-' if exponent < 0 else '+'}{abs(exponent):02d}"
    return sign + _fixed(digits, point)


def format_f(value: float) -> str:
    """`strconv.FormatFloat(value, 'f', -1, 64)`: shortest digits, never an exponent."""
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    digits, point = _shortest_digits(abs(value))
    return sign + _fixed(digits, point)


def _fixed(digits: str, point: int) -> str:
    if point <= 0:
        return "0." + "0" * -point + digits
    if point >= len(digits):
        return digits + "0" * (point - len(digits))
    return digits[:point] + "." + digits[point:]


def format_float32_g(value: float) -> str:
    """`FormatFloat(v, 'g', -1, 32)`: how sigs.k8s.io/yaml turns a YAML float label into text."""
    import struct

    as32 = struct.unpack("f", struct.pack("f", value))[0]
    for precision in range(1, 10):
        candidate = float(f"{as32:.{precision}g}")
        if struct.pack("f", candidate) == struct.pack("f", as32):
            return format_g(candidate)
    return format_g(as32)


_GO_ESCAPES = {
    "\a": "\\a",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\v": "\\v",
    "\\": "\\\\",
    '"': '\\"',
}


def quote(text: str) -> str:
    """Go's `strconv.Quote`, as Prometheus' `LabelSet.String()` uses for label values."""
    if text.isprintable() and '"' not in text and "\\" not in text:
        return f'"{text}"'  # nothing to escape: the common case, without the loop below
    out = []
    for char in text:
        if char in _GO_ESCAPES:
            out.append(_GO_ESCAPES[char])
        elif char.isprintable():
            out.append(char)
        elif ord(char) < 0x10000:
            out.append(f"\\u{ord(char):04x}" if ord(char) > 0x7F else f"\\x{ord(char):02x}")
        else:
            out.append(f"\\U{ord(char):08x}")
    return '"' + "".join(out) + '"'


def format_float_percent(value: float) -> str:
    """Go's `%f` (six decimals), which Sloth uses for an SLI plugin's `objective` meta."""
    return f"{value:f}"
