"""Synthetic kernel-start probe: session POST -> kernel websocket -> kernel_info_reply.

The probe kernel is created through a session whose path is
`jupyter-slo-probe/kernel-<instance>-<uuid>.ipynb`, so the exporter (and a person reading
`/api/sessions`) can tell it from a user's kernel. It is deleted on success, failure, timeout
and cancellation (SIGTERM cancels the task; the `finally` runs with its own time limit).
Kernels left by an exporter that was SIGKILLed are reaped by `reap` at the next start.

Timing starts before the POST and stops at the matching `kernel_info_reply`
(research/jupyter.md §2.3): the websocket upgrade itself waits for the kernel to boot, so the
figure is what a user waits for between "open notebook" and a live kernel.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections.abc import Callable

from exporter import naming
from exporter.config import PROBE_DIR
from exporter.model import ProbeOutcome, Session
from exporter.probes import wire
from exporter.probes.cleanup import Cleanups
from exporter.probes.kernel_info import exchange_kernel_info
from exporter.sources.client import NO_TRACK, JupyterClient
from exporter.sources.parse import parse_sessions
from exporter.sources.poll import POLL_ERRORS

log = logging.getLogger("exporter.probe")

PROBE_SESSION_PREFIX = f"{PROBE_DIR}/kernel-"
CLEANUP_TIMEOUT = 15.0


def probe_path(instance: str) -> str:
    return f"{PROBE_SESSION_PREFIX}{instance}-{uuid.uuid4().hex}.ipynb"


def is_probe_session(session: Session) -> bool:
    return session.path.startswith(PROBE_SESSION_PREFIX)


def probe_kernel_ids(sessions: tuple[Session, ...]) -> frozenset[str]:
    return frozenset(s.kernel_id for s in sessions if s.kernel_id and is_probe_session(s))


async def _kernel_info(client: JupyterClient, kernel_id: str) -> None:
    """Open the kernel's websocket (v1 offered first) and wait for our kernel_info_reply."""
    ws_session = uuid.uuid4().hex
    ws = await client.session.ws_connect(
        client.ws_url(f"api/kernels/{kernel_id}/channels"),
        params={**NO_TRACK, "session_id": ws_session}, protocols=(wire.V1_PROTOCOL,),
        headers=client.auth_headers,
        max_msg_size=16 * 1024 * 1024)
    async with ws:
        if await exchange_kernel_info(ws, ws_session):
            return
    raise ConnectionError("kernel websocket closed before kernel_info_reply")


async def _delete(client: JupyterClient, session_id: str | None, kernel_id: str | None) -> None:
    """Delete the session (which shuts the kernel down), then the kernel if that failed."""
    try:
        async with asyncio.timeout(CLEANUP_TIMEOUT):
            if session_id is not None:
                try:
                    await client.request("DELETE", f"api/sessions/{session_id}")
                    return
                except POLL_ERRORS as exc:
                    log.warning("probe session delete failed",
                                extra={"server": client.target.name, "error": str(exc)})
            if kernel_id is not None:
                await client.request("DELETE", f"api/kernels/{kernel_id}")
    except (*POLL_ERRORS, TimeoutError) as exc:
        log.warning("probe cleanup failed; the next start reaps it",
                    extra={"server": client.target.name, "error": str(exc)})


async def _delete_by_path(client: JupyterClient, path: str) -> None:
    try:
        async with asyncio.timeout(CLEANUP_TIMEOUT):
            sessions = parse_sessions(await client.get_json("api/sessions"))
    except (*POLL_ERRORS, TimeoutError):
        return  # the server is unreachable; the next start reaps
    for session in sessions:
        if session.path == path:
            await _delete(client, session.id, session.kernel_id)


async def probe_kernel_start(client: JupyterClient, kernel_name: str, timeout: float,
                             instance: str, cleanups: Cleanups,
                             on_kernel: Callable[[str], None] = lambda _: None,
                             clock: Callable[[], float] = time.perf_counter) -> ProbeOutcome:
    """Run one probe; its kernel is deleted by a task in `cleanups`, started before return.

    `on_kernel` learns the kernel id as soon as it exists, so the kernel is excluded from the
    user-facing gauges from the first poll that could see it.
    """
    session_id = kernel_id = None
    path = probe_path(instance)
    start = clock()
    try:
        async with asyncio.timeout(timeout):
            body = {"path": path, "name": "jupyter-slo probe",
                    "type": "notebook", "kernel": {"name": kernel_name}}
            _, data = await client.request("POST", "api/sessions", body=body, timeout=timeout)
            model = json.loads(data)
            session_id, kernel_id = str(model["id"]), str(model["kernel"]["id"])
            on_kernel(kernel_id)
            await _kernel_info(client, kernel_id)
            elapsed = clock() - start
        return ProbeOutcome(naming.PROBE_SUCCESS, elapsed, kernel_name)
    except TimeoutError:
        return ProbeOutcome(naming.PROBE_TIMEOUT, clock() - start, kernel_name, "timeout")
    except (*POLL_ERRORS, ConnectionError, KeyError, TypeError, ValueError) as exc:
        return ProbeOutcome(naming.PROBE_FAILURE, clock() - start, kernel_name,
                            type(exc).__name__)
    finally:
        if session_id is not None or kernel_id is not None:
            cleanups.spawn(_delete(client, session_id, kernel_id))
        else:  # the POST may have created a session whose answer never arrived
            cleanups.spawn(_delete_by_path(client, path))


async def reap(client: JupyterClient, sessions: tuple[Session, ...],
               keep: frozenset[str] = frozenset()) -> int:
    """Delete probe sessions left behind (their kernels go with them); returns how many."""
    reaped = 0
    for session in sessions:
        if is_probe_session(session) and session.kernel_id not in keep:
            await _delete(client, session.id, session.kernel_id)
            reaped += 1
    return reaped
