"""Synthetic save probe: PUT a small file in the scratch folder and read its size back.

One fixed file, `jupyter-slo-probe/save-probe.txt`, is overwritten by every probe, so the
probe never grows anything: deleting per probe would, on a server with `delete_to_trash`
(the default), leave a trash entry every interval. `remove_scratch` deletes the file and
folder when the exporter stops. Every PUT the probe makes is reported to the caller, because
the server's request metrics count it and the user-save counter must not.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from exporter import naming
from exporter.config import PROBE_DIR
from exporter.sources.client import JupyterClient, UpstreamError
from exporter.sources.poll import POLL_ERRORS

log = logging.getLogger("exporter.probe")

SAVE_FILE = f"{PROBE_DIR}/save-probe.txt"


@dataclass(frozen=True, slots=True)
class SaveOutcome:
    result: str  # naming.SAVE_SUCCESS | naming.SAVE_FAILURE
    seconds: float
    puts: tuple[str, ...]  # save-result class of each PUT the server saw (2xx/5xx only)
    detail: str = ""


def _put_class(status: int) -> str | None:
    if 200 <= status < 300:
        return naming.SAVE_SUCCESS
    return naming.SAVE_FAILURE if status >= 500 else None


async def _put(client: JupyterClient, path: str, body: dict[str, str], puts: list[str]) -> None:
    try:
        status, _ = await client.request("PUT", f"api/contents/{path}", body=body)
    except UpstreamError as exc:
        if exc.status is not None and (cls := _put_class(exc.status)):
            puts.append(cls)
        raise
    if cls := _put_class(status):
        puts.append(cls)


async def probe_save(client: JupyterClient, timeout: float,
                     clock: Callable[[], float] = time.perf_counter) -> SaveOutcome:
    puts: list[str] = []
    content = f"jupyter-slo save probe {time.time():020.6f}\n"
    start = clock()
    try:
        async with asyncio.timeout(timeout):
            await _put(client, PROBE_DIR, {"type": "directory"}, puts)
            start = clock()
            await _put(client, SAVE_FILE, {"type": "file", "format": "text",
                                           "content": content}, puts)
            model = await client.get_json(f"api/contents/{SAVE_FILE}", {"content": "0"})
            if not isinstance(model, dict) or model.get("size") != len(content.encode()):
                raise ValueError("read-back size differs from what was written")
            elapsed = clock() - start
    except (*POLL_ERRORS, TimeoutError, ValueError) as exc:
        return SaveOutcome(naming.SAVE_FAILURE, clock() - start, tuple(puts), type(exc).__name__)
    return SaveOutcome(naming.SAVE_SUCCESS, elapsed, tuple(puts))


async def remove_scratch(client: JupyterClient) -> None:
    for path in (SAVE_FILE, PROBE_DIR):
        try:
            await client.request("DELETE", f"api/contents/{path}")
        except UpstreamError as exc:
            if exc.status != 404:
                log.warning("could not remove the probe scratch folder",
                            extra={"server": client.target.name, "error": str(exc)})
        except (*POLL_ERRORS, TimeoutError):
            return
