"""One poll of a target's REST API and its own /metrics, as an immutable `PollResult`.

A failed poll is a value (`PollResult.error`), never an exception: the caller counts it and
keeps the exporter serving. A light poll (fleet scale, `--poll.heavy-every`) reads only the
three endpoints whose answers change between polls. `/metrics` is read last, so the
request counts it gives are at least as new as the kernel list (the crash accounting depends
on that order).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import replace

import aiohttp

from exporter.model import PollResult, RequestCounts, ServerView
from exporter.sources import parse
from exporter.sources.client import JupyterClient, UpstreamError, classify

POLL_ERRORS = (UpstreamError, aiohttp.ClientError, asyncio.TimeoutError, parse.BadPayload,
               OSError)


def describe(exc: BaseException) -> str:
    """Our own messages (path, status) are safe to log; other exceptions give their type."""
    if isinstance(exc, UpstreamError | parse.BadPayload):
        return str(exc)[:200]
    return type(exc).__name__


async def _terminals(client: JupyterClient) -> int | None:
    try:
        return parse.parse_terminals(await client.get_json("api/terminals"))
    except UpstreamError as exc:
        if exc.status == 404:  # jupyter_server_terminals not installed or disabled
            return None
        raise


async def _request_counts(client: JupyterClient) -> tuple[RequestCounts | None, str | None]:
    try:
        return parse.parse_server_metrics(await client.get_text("metrics")), None
    except POLL_ERRORS as exc:
        return None, classify(exc)


async def poll(client: JupyterClient, read_metrics: bool,
               clock: Callable[[], float] = time.time, previous: ServerView | None = None,
               heavy: bool = True) -> PollResult:
    """One poll. With `heavy` False and a `previous` view, only the cheap, fast-changing
    endpoints are read (status, kernels, sessions); the version, kernelspecs, terminals and
    request counts are carried over from `previous`."""
    at = clock()
    light = not heavy and previous is not None
    try:
        if light:
            assert previous is not None
            status, kernels, sessions = await asyncio.gather(
                client.get_json("api/status"), client.get_json("api/kernels"),
                client.get_json("api/sessions"))
            started, last_activity = parse.parse_status(status)
            view = replace(previous, started=started, last_activity=last_activity,
                           kernels=parse.parse_kernels(kernels),
                           sessions=parse.parse_sessions(sessions))
            return PollResult(at=at, view=view)
        version = parse.parse_version(await client.get_json("api"))
        status, kernels, sessions, terminals, specs = await asyncio.gather(
            client.get_json("api/status"), client.get_json("api/kernels"),
            client.get_json("api/sessions"), _terminals(client),
            client.get_json("api/kernelspecs"))
        started, last_activity = parse.parse_status(status)
        view = ServerView(
            version=version, started=started, last_activity=last_activity,
            kernels=parse.parse_kernels(kernels), sessions=parse.parse_sessions(sessions),
            terminals=terminals, kernelspecs=parse.parse_kernelspecs(specs),
            request_counts=None)
    except POLL_ERRORS as exc:
        return PollResult(at=at, view=None, error=classify(exc), detail=describe(exc))
    metrics_error = None
    if read_metrics:
        counts, metrics_error = await _request_counts(client)
        view = replace(view, request_counts=counts)
    return PollResult(at=at, view=view, metrics_error=metrics_error)
