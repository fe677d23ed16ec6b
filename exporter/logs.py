"""Structured logs, text (logfmt) or JSON, with every known secret masked.

Conventions: a log call carries a short constant message and its facts in `extra=` (server,
reason, error...), so lines are greppable and machine-readable. Secrets are registered at
startup, and a token learned later (a rotated token file) through `add_secret` before it is
used; the filter replaces them in the message, the arguments and every extra field, so even
a token that reached an exception text would not reach the output.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable
from typing import Any, TextIO

MASK = "<redacted>"
_STANDARD = frozenset(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")}


class Redact(logging.Filter):
    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = tuple(s for s in secrets if s)

    def _clean(self, value: Any) -> Any:
        if isinstance(value, str):
            for secret in self.secrets:
                value = value.replace(secret, MASK)
        return value

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secrets:
            record.msg = self._clean(record.getMessage())
            record.args = None
            for key, value in _fields(record).items():
                setattr(record, key, self._clean(value if isinstance(value, str)
                                                 else _plain(value)))
            if record.exc_info:
                record.exc_text = self._clean(logging.Formatter().formatException(
                    record.exc_info))
                record.exc_info = None
        return True


def _plain(value: Any) -> Any:
    return value if isinstance(value, int | float | bool) or value is None else str(value)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {"ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
                "level": record.levelname.lower(), "logger": record.name,
                "msg": record.getMessage()}
        line.update({k: _plain(v) for k, v in _fields(record).items()})
        if record.exc_text or record.exc_info:
            line["exc"] = record.exc_text or self.formatException(record.exc_info)
        return json.dumps(line, sort_keys=False)


class LogfmtFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        pairs = [("ts", self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z")),
                 ("level", record.levelname.lower()), ("logger", record.name),
                 ("msg", record.getMessage())]
        pairs += [(k, _plain(v)) for k, v in _fields(record).items()]
        if record.exc_text or record.exc_info:
            pairs.append(("exc", record.exc_text or self.formatException(record.exc_info)))
        return " ".join(f"{k}={_quote(v)}" for k, v in pairs)


def _quote(value: Any) -> str:
    text = str(value)
    if text and not any(c in text for c in ' "=\n\t'):
        return text
    return json.dumps(text)


def add_secret(value: str) -> None:
    """Mask `value` from now on in every handler `setup` installed: a token re-read from a
    rotated file was not known when the filters were built."""
    if not value:
        return
    for handler in logging.getLogger().handlers:
        for item in handler.filters:
            if isinstance(item, Redact) and value not in item.secrets:
                item.secrets += (value,)


def setup(fmt: str, secrets: Iterable[str] = (), stream: TextIO | None = None,
          level: int = logging.INFO) -> None:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else LogfmtFormatter())
    handler.addFilter(Redact(secrets))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
