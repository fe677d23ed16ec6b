"""Kernel operations through the REST API and the kernel websocket, as a user's client does.

`start` is `POST /api/kernels`; `kernel_info` opens the kernel's websocket (v1 subprotocol
offered, legacy JSON accepted) and waits for the reply to our own `kernel_info_request`
(research/jupyter.md §2.2-2.3): the first moment a user's notebook can run code. Requests are
not marked `no_track_activity`, because the load must look like users. Every call has its
own time limit. Error texts name the path and status, never the token or a response body.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import aiohttp

from exporter.gameday.target import Target
from exporter.probes import wire
from exporter.probes.kernel_info import exchange_kernel_info

REST_TIMEOUT = 30.0
UUID_LEN = 36


class ApiError(Exception):
    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def _reason(status: int) -> str:
    if status in (401, 403):
        return "auth"
    return "http_5xx" if status >= 500 else "http_4xx"


async def call(http: aiohttp.ClientSession, target: Target, method: str, path: str,
               body: Any = None, timeout: float = REST_TIMEOUT) -> Any:
    try:
        async with asyncio.timeout(timeout), http.request(
                method, target.api(path), json=body, headers=target.headers) as resp:
            if resp.status >= 400:
                raise ApiError(_reason(resp.status), f"{method} {path}: HTTP {resp.status}")
            if resp.status == 204:
                return None
            return await resp.json(content_type=None)
    except aiohttp.ClientError as exc:
        raise ApiError("connection", f"{method} {path}: {type(exc).__name__}") from None
    except ValueError:
        raise ApiError("bad_payload", f"{method} {path}: not JSON") from None


def valid_id(value: Any) -> str | None:
    """A kernel id from the API, only if it is a UUID (it ends up in process matching)."""
    try:
        return str(uuid.UUID(str(value))) if len(str(value)) == UUID_LEN else None
    except ValueError:
        return None


async def start(http: aiohttp.ClientSession, target: Target, kernel_name: str) -> str:
    model = await call(http, target, "POST", "api/kernels", {"name": kernel_name})
    kernel_id = valid_id(model.get("id") if isinstance(model, dict) else None)
    if kernel_id is None:
        raise ApiError("bad_payload", "POST api/kernels: no kernel id in the answer")
    return kernel_id


async def delete(http: aiohttp.ClientSession, target: Target, kernel_id: str) -> bool:
    """True once the kernel is gone (404 counts: someone else removed it)."""
    try:
        await call(http, target, "DELETE", f"api/kernels/{kernel_id}")
    except ApiError as exc:
        return exc.reason == "http_4xx"
    return True


async def list_kernels(http: aiohttp.ClientSession, target: Target) -> list[dict[str, Any]]:
    models = await call(http, target, "GET", "api/kernels")
    if not isinstance(models, list):
        raise ApiError("bad_payload", "GET api/kernels: not a list")
    return [m for m in models if isinstance(m, dict) and valid_id(m.get("id"))]


async def kernel_info(http: aiohttp.ClientSession, target: Target, kernel_id: str) -> None:
    session = uuid.uuid4().hex
    try:
        ws = await http.ws_connect(target.ws(f"api/kernels/{kernel_id}/channels"),
                                   params={"session_id": session},
                                   protocols=(wire.V1_PROTOCOL,), headers=target.headers,
                                   max_msg_size=16 * 1024 * 1024)
    except aiohttp.WSServerHandshakeError as exc:
        raise ApiError(_reason(exc.status), f"websocket: HTTP {exc.status}") from None
    except aiohttp.ClientError as exc:
        raise ApiError("connection", f"websocket: {type(exc).__name__}") from None
    async with ws:
        if await exchange_kernel_info(ws, session):
            return
    raise ApiError("websocket_closed", "kernel websocket closed before kernel_info_reply")
