"""Token files re-read after a server refuses the token, so a rotated secret is picked up.

Why: platforms rotate credentials in place (a Kubernetes Secret mounted as a volume is
updated by an atomic symlink swap) and expect a long-running process to follow without a
restart, as Prometheus does with `credentials_file` and exporter-toolkit with its files.
Until it does, every poll of every server fails with `auth`.

Conventions:
- one `TokenFile` per path in the process (`watch`), shared by every client whose token
  came from that file; in Hub mode thousands of servers share the Hub token. A re-read by
  one client reaches all of them through `generation`, which each client compares (an int
  comparison) before every request;
- a re-read happens only when a client asks after a 401/403 (`reread`), never on a timer,
  and at most once per `MIN_INTERVAL` seconds per file, so a wrong token does not read the
  disk on every request. The first one after start is allowed at once;
- the read runs off the event loop under a time limit (DESIGN.md: blocking calls never on
  the loop), so a hung network filesystem cannot stall the polls;
- an unreadable, empty or malformed file keeps the token in use and logs a warning, once
  per streak of the same failure (debug after that), without the token or the path;
- a new token is registered with the log redaction (`logs.add_secret`) before it is used,
  and no line, repr or error here carries a token or a path: log lines name the target
  whose request was refused.
Tokens given by environment variable have no path and are never re-read.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from pathlib import Path

from exporter import logs
from exporter.config import Secret

log = logging.getLogger("exporter.tokens")

MIN_INTERVAL = 10.0  # seconds between two re-reads of one file
READ_TIMEOUT = 5.0  # limit on one read

_files: dict[str, TokenFile] = {}


def read_text(path: str) -> str:
    """A token file's token as the exporter reads it, at start (exporter/cli.py) and on every
    re-read here: UTF-8, surrounding whitespace stripped."""
    return Path(path).read_text(encoding="utf-8").strip()


def _problem(text: str) -> str | None:
    """Why `text` cannot be a token, or None. A line break would split the HTTP header
    (both clients refuse such a header, so every request would fail)."""
    if not text:
        return "token file is empty"
    if any(c in text for c in "\r\n\x00"):
        return "token file holds more than one line"
    return None


class TokenFile:
    """One token file's current token. Mutable on purpose (the rotation is the point) and
    touched only on the event loop; it holds no loop-bound object, so it outlives loops."""

    __slots__ = ("_clock", "_failing", "_last", "_path", "generation", "min_interval",
                 "secret")

    def __init__(self, secret: Secret, min_interval: float = MIN_INTERVAL,
                 clock: Callable[[], float] = time.monotonic) -> None:
        """`secret`: the value read at startup, with the `path` it came from."""
        if secret.path is None:
            raise ValueError("a TokenFile needs a Secret read from a file")
        self._path = secret.path
        self.secret = secret
        self.generation = 0  # bumped at every switch to a new token
        self.min_interval = min_interval
        self._clock = clock
        self._last: float | None = None  # when the last re-read started
        self._failing: str | None = None  # the failure last warned about

    def __repr__(self) -> str:  # neither the token nor the path
        return f"TokenFile(generation={self.generation})"

    async def reread(self, target: str) -> bool:
        """Re-read the file because `target` refused the token; True when a new token is
        now current. Returns False at once while the file was read less than
        `min_interval` ago, and keeps the current token when the file cannot be used."""
        now = self._clock()
        if self._last is not None and now - self._last < self.min_interval:
            return False
        self._last = now  # set before awaiting: concurrent 401s do not read again
        try:
            text = await asyncio.wait_for(asyncio.to_thread(read_text, self._path), READ_TIMEOUT)
        except UnicodeDecodeError:  # its message quotes the file's bytes: never logged
            return self._failed(target, "token file is not UTF-8")
        except OSError as exc:  # strerror only: str(exc) names the path
            return self._failed(target, f"token file unreadable ({exc.strerror or 'error'})")
        except TimeoutError:
            return self._failed(target, f"token file not read within {READ_TIMEOUT:g}s")
        problem = _problem(text)
        if problem is not None:
            return self._failed(target, problem)
        self._failing = None
        if text == self.secret.value:
            log.debug("token file re-read; unchanged", extra={"target": target})
            return False
        logs.add_secret(text)
        self.secret = Secret(text, path=self._path)
        self.generation += 1
        log.info("token file re-read; switching to the new token", extra={"target": target})
        return True

    def _failed(self, target: str, why: str) -> bool:
        level = logging.DEBUG if why == self._failing else logging.WARNING
        self._failing = why
        log.log(level, "token file re-read failed; keeping the current token",
                extra={"target": target, "error": why})
        return False


def watch(secret: Secret | None) -> TokenFile | None:
    """The process's `TokenFile` for the file `secret` was read from; None for a token
    that did not come from a file (an environment variable), which cannot rotate. The
    first caller's `secret` is the file's starting value."""
    if secret is None or secret.path is None:
        return None
    found = _files.get(secret.path)
    if found is None:
        found = _files[secret.path] = TokenFile(secret)
    return found


def current(secret: Secret, token_file: TokenFile | None) -> Secret:
    """The token to send now: the file's latest, else `secret` itself."""
    return token_file.secret if token_file is not None else secret
