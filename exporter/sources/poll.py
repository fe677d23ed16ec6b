"""One poll of a target's REST API and its own /metrics, as an immutable `PollResult`.

A failed poll is a value (`PollResult.error`), never an exception: the caller counts it and
keeps the exporter serving.

What a poll reads, one request after another on the target's one keep-alive connection
(`JupyterClient.fetch`):
- every poll: `/api/status`, `/api/kernels`, `/api/sessions`, the answers that change
  between polls;
- a heavy poll (every poll by default; every `--poll.heavy-every`-th at fleet scale) also
  `/api/terminals` and the server's own `/metrics`, read last, so the request counts it gives
  are at least as new as the kernel list (the crash accounting depends on that order);
- `/api` (version) and `/api/kernelspecs` only when they can have changed or are not known:
  the first poll and every poll after a failed one (a reconnect), a new `started` in
  `/api/status` (the server restarted), a kernel whose kernelspec is not in the known list
  (read once per unknown name), and when the caller asks (`refresh_meta`, periodically).

`PollMemo` is the target's memory between polls: each path's last body with what it parsed
to, so an unchanged answer costs a bytes comparison instead of a JSON decode and a rebuild of
the frozen values (most of a quiet fleet answers the same bytes poll after poll).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any, TypeVar

import aiohttp

from exporter import naming
from exporter.model import Kernel, PollResult, RequestCounts, ServerView, Session
from exporter.sources import parse
from exporter.sources.client import JupyterClient, UpstreamError, classify

POLL_ERRORS = (UpstreamError, aiohttp.ClientError, asyncio.TimeoutError, parse.BadPayload,
               OSError)

T = TypeVar("T")


class PollMemo:
    """What one target's polls remember: per path the last body and its parsed value, and
    the kernelspec names looked up and not found since the last full read.

    Mutable on purpose and private to the target's worker (touched only on the event loop,
    by one poll at a time); what leaves a poll is still frozen. The values it hands back are
    the very objects an earlier poll built, so an unchanged answer keeps its identity.
    Memory: one body per path, a few KiB per server.
    """

    __slots__ = ("bodies", "spec_misses")

    def __init__(self) -> None:
        self.bodies: dict[str, tuple[bytes, Any]] = {}
        self.spec_misses: frozenset[str] = frozenset()


def describe(exc: BaseException) -> str:
    """Our own messages (path, status) are safe to log; other exceptions give their type."""
    if isinstance(exc, UpstreamError | parse.BadPayload):
        return str(exc)[:200]
    return type(exc).__name__


async def _read(client: JupyterClient, path: str, parser: Callable[[Any], T],
                memo: PollMemo | None) -> T:
    body = await client.fetch(path)
    seen = memo.bodies.get(path) if memo is not None else None
    if seen is not None and seen[0] == body:
        return seen[1]  # type: ignore[no-any-return]
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
        raise UpstreamError(naming.REASON_BAD_PAYLOAD, f"GET {path}: not JSON") from None
    value = parser(payload)
    if memo is not None:
        memo.bodies[path] = (body, value)
    return value


async def _terminals(client: JupyterClient, memo: PollMemo | None) -> int | None:
    try:
        return await _read(client, "api/terminals", parse.parse_terminals, memo)
    except UpstreamError as exc:
        if exc.status == 404:  # jupyter_server_terminals not installed or disabled
            return None
        raise


async def _request_counts(client: JupyterClient) -> tuple[RequestCounts | None, str | None]:
    """Never memoised: the server's request counters move with every poll we make."""
    try:
        text = (await client.fetch("metrics")).decode("utf-8", errors="replace")
        return parse.parse_server_metrics(text), None
    except POLL_ERRORS as exc:
        return None, classify(exc)


async def poll(client: JupyterClient, read_metrics: bool,
               clock: Callable[[], float] = time.time, previous: ServerView | None = None,
               heavy: bool = True, memo: PollMemo | None = None,
               refresh_meta: bool = False) -> PollResult:
    """One poll. With `heavy` False and a `previous` view, terminals and request counts are
    carried over from `previous`; version and kernelspecs are carried over unless there is
    no `previous`, `refresh_meta` is set, the server restarted, or a kernel names a spec
    not in them."""
    at = clock()
    light = not heavy and previous is not None
    try:
        started, last_activity = await _read(client, "api/status", parse.parse_status, memo)
        kernels = await _read(client, "api/kernels", parse.parse_kernels, memo)
        sessions = await _read(client, "api/sessions", parse.parse_sessions, memo)
        misses = memo.spec_misses if memo is not None else frozenset()
        fresh = previous is None or refresh_meta or started != previous.started
        if fresh:
            version = await _read(client, "api", parse.parse_version, memo)
            specs = await _read(client, "api/kernelspecs", parse.parse_kernelspecs, memo)
            misses = frozenset()
        else:
            assert previous is not None
            version, specs = previous.version, previous.kernelspecs
        unknown = {k.name for k in kernels}
        unknown -= specs
        unknown -= misses
        if unknown:  # a spec installed since the last read, or one since removed
            if not fresh:
                specs = await _read(client, "api/kernelspecs", parse.parse_kernelspecs, memo)
            misses |= unknown - specs
        if memo is not None:
            memo.spec_misses = misses
        terminals = previous.terminals if light and previous is not None \
            else await _terminals(client, memo)
    except POLL_ERRORS as exc:
        return PollResult(at=at, view=None, error=classify(exc), detail=describe(exc))
    if light:
        assert previous is not None
        view = _carried(previous, version, started, last_activity, kernels, sessions, specs)
        return PollResult(at=at, view=view)
    view = ServerView(
        version=version, started=started, last_activity=last_activity, kernels=kernels,
        sessions=sessions, terminals=terminals, kernelspecs=specs, request_counts=None)
    metrics_error = None
    if read_metrics:
        counts, metrics_error = await _request_counts(client)
        view = replace(view, request_counts=counts)
    return PollResult(at=at, view=view, metrics_error=metrics_error)


def _carried(previous: ServerView, version: str, started: float | None,
             last_activity: float | None, kernels: tuple[Kernel, ...],
             sessions: tuple[Session, ...], specs: frozenset[str]) -> ServerView:
    """A light poll's view: `previous` itself when nothing it read differs, so the
    accounting and the collectors can tell an unchanged server by identity."""
    if (version is previous.version and started == previous.started
            and last_activity == previous.last_activity and kernels is previous.kernels
            and sessions is previous.sessions and specs is previous.kernelspecs):
        return previous
    return replace(previous, version=version, started=started, last_activity=last_activity,
                   kernels=kernels, sessions=sessions, kernelspecs=specs)
