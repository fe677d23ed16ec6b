"""Subscriber for a server's event stream (`/api/events/subscribe`, jupyter_server >= 2.0).

The stream is untrusted input (any client with the events permission can POST forged
events): each frame is capped in size, parsed by `parse.parse_event`, and handed to the
caller, whose accounting bounds what it keeps. Events carry no timestamp, so they are
stamped on receipt. The loop reconnects with capped exponential backoff and jitter; it ends
only when cancelled.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections.abc import Callable
from typing import Any

import aiohttp

from exporter.sources.client import NO_TRACK, JupyterClient
from exporter.sources.poll import POLL_ERRORS

log = logging.getLogger("exporter.events")

MAX_FRAME = 64 * 1024
BACKOFF_FIRST, BACKOFF_MAX, STABLE_AFTER = 0.5, 30.0, 30.0


def next_backoff(previous: float, rng: Callable[[], float] = random.random) -> float:
    """Capped doubling with up to 20% jitter, so many exporters do not reconnect in step."""
    base = min(BACKOFF_MAX, max(BACKOFF_FIRST, previous * 2))
    return base * (0.8 + 0.2 * rng())


async def subscribe(client: JupyterClient, on_message: Callable[[Any, float], None],
                    on_state: Callable[[bool], None],
                    clock: Callable[[], float] = time.time) -> None:
    delay = 0.0
    while True:
        started = time.monotonic()
        try:
            ws = await asyncio.wait_for(client.session.ws_connect(
                client.ws_url("api/events/subscribe"), params=NO_TRACK, heartbeat=30.0,
                headers=client.auth_headers, max_msg_size=MAX_FRAME, autoping=True),
                client.request_timeout)
            async with ws:
                on_state(True)
                log.info("event stream connected", extra={"server": client.target.name})
                async for msg in ws:
                    if msg.type == aiohttp.WSMsgType.TEXT:
                        on_message(_decode(msg.data), clock())
                    elif msg.type in (aiohttp.WSMsgType.ERROR, aiohttp.WSMsgType.CLOSE):
                        break
        except POLL_ERRORS as exc:
            log.warning("event stream unavailable", extra={
                "server": client.target.name, "error": type(exc).__name__})
        finally:
            on_state(False)
        delay = BACKOFF_FIRST if time.monotonic() - started > STABLE_AFTER \
            else next_backoff(delay)
        await asyncio.sleep(delay)


def _decode(data: str) -> Any:
    try:
        return json.loads(data)
    except ValueError:
        return None
