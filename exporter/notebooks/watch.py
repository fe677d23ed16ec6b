"""The I/O edge of notebook hygiene: look up saved notebooks the server confirms, boundedly.

Per target, `offer(path)` (called for each safe save event, on the event loop) queues a path
in a `Pending` set; `run()` takes one token from the `TokenBucket` per look-up. A look-up:

1. `GET /api/contents/<path>?content=0` (untracked, as every exporter request): metadata only.
   A 404, a model of another type or another path, ends it (`missing`); nothing else is read.
2. The size is observed (`jupyter_notebook_size_bytes`).
3. Only with `notebook_secrets` on, and only for a notebook under `MAX_SCAN_BYTES`: the content
   (`content=1&type=notebook`) is read and scanned in memory; only counts by rule remain.

Nothing here logs a path, a secret or an upstream error text (which names the path): a failed
look-up is logged with its reason only.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

from exporter import naming
from exporter.notebooks import scan
from exporter.notebooks.limiter import Pending, TokenBucket
from exporter.notebooks.stats import Lookup
from exporter.sources.client import JupyterClient, UpstreamError, classify
from exporter.sources.poll import POLL_ERRORS

log = logging.getLogger("exporter.notebooks")

MAX_SCAN_BYTES = 8 * 1024 * 1024  # the client's own body cap


def contents_path(path: str) -> str:
    """The API path for a notebook path that `paths.safe_path` accepted; percent-encoded, so
    `?` or `#` in a name stays part of the name."""
    return "api/contents/" + quote(path, safe="/")


def confirmed_size(model: Any, path: str) -> float | None:
    """The size of the model if the server confirms a notebook at exactly `path`."""
    if not isinstance(model, dict) or model.get("type") != "notebook":
        return None
    if model.get("path") != path:
        return None
    size = model.get("size")
    if not isinstance(size, int | float) or isinstance(size, bool) or size < 0:
        return None
    return float(size)


class NotebookWatch:
    def __init__(self, client: JupyterClient, on_lookup: Callable[[Lookup], None],
                 secrets: bool, clock: Callable[[], float] = time.monotonic,
                 bucket: TokenBucket | None = None, pending: Pending | None = None) -> None:
        self.client = client
        self.on_lookup = on_lookup
        self.secrets = secrets
        self.clock = clock
        self.bucket = bucket or TokenBucket()
        self.pending = pending or Pending()
        self._wake = asyncio.Event()

    def offer(self, path: str) -> bool:
        """Queue a safe path; False when the queue is full (the event is dropped)."""
        self.pending, accepted = self.pending.offer(path)
        if accepted:
            self._wake.set()
        return accepted

    async def run(self) -> None:
        while True:
            self.pending, path = self.pending.pop()
            if path is None:
                self._wake.clear()
                await self._wake.wait()
                continue
            self.bucket, wait = self.bucket.take(self.clock())
            while wait > 0:  # at most a few rounds: each sleep earns the token it waits for
                await asyncio.sleep(wait)
                self.bucket, wait = self.bucket.take(self.clock())
            try:
                result = await self.lookup(path)
            except Exception as exc:  # a bug must not end the watch; never log the text
                log.error("notebook look-up crashed", extra={
                    "server": self.client.target.name, "error": type(exc).__name__})
                result = Lookup(naming.LOOKUP_ERROR)
            self.on_lookup(result)

    async def lookup(self, path: str) -> Lookup:
        api = contents_path(path)
        try:
            model = await self.client.get_json(api, query={"content": "0"})
        except POLL_ERRORS as exc:
            if isinstance(exc, UpstreamError) and exc.status == 404:
                return Lookup(naming.LOOKUP_MISSING)
            self._warn("notebook look-up failed", exc)
            return Lookup(naming.LOOKUP_ERROR)
        size = confirmed_size(model, path)
        if size is None:
            return Lookup(naming.LOOKUP_MISSING)
        if not self.secrets:
            return Lookup(naming.LOOKUP_READ, size, path)
        if size > MAX_SCAN_BYTES:
            return Lookup(naming.LOOKUP_TOO_LARGE, size, path)
        findings = await self._scan(api)
        outcome = naming.LOOKUP_ERROR if findings is None else naming.LOOKUP_READ
        return Lookup(outcome, size, path, findings)

    async def _scan(self, api: str) -> Mapping[str, int] | None:
        try:
            model = await self.client.get_json(api, query={"content": "1", "type": "notebook"})
            content = model.get("content") if isinstance(model, dict) else None
            return await scan.scan_notebook(content)
        except (*POLL_ERRORS, TimeoutError) as exc:
            self._warn("notebook secret scan failed", exc)
            return None
        except Exception as exc:  # detect-secrets itself; its message could quote a line
            log.error("notebook secret scan crashed", extra={
                "server": self.client.target.name, "error": type(exc).__name__})
            return None

    def _warn(self, message: str, exc: BaseException) -> None:
        # classify() gives a fixed reason; str(exc) would name the path.
        log.warning(message, extra={"server": self.client.target.name,
                                    "reason": classify(exc)})
