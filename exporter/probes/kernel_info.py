"""One `kernel_info_request` / `kernel_info_reply` exchange on an open kernel websocket.

Shared by the start probe and `loadtest`, which both time a kernel from creation to its first
answer. Speaks the v1 subprotocol when the server agreed to it, the legacy JSON one otherwise
(research/jupyter.md §3); frames on other channels and other replies are skipped.
"""

from __future__ import annotations

import aiohttp

from exporter.probes import wire


async def exchange_kernel_info(ws: aiohttp.ClientWebSocketResponse, session: str) -> bool:
    """Send the request and read until its reply: True, or False if the socket closed first."""
    request = wire.kernel_info_request(session)
    msg_id = request["header"]["msg_id"]
    v1 = ws.protocol == wire.V1_PROTOCOL
    if v1:
        await ws.send_bytes(wire.encode_v1(request, "shell"))
    else:
        await ws.send_str(wire.encode_legacy(request, "shell"))
    async for frame in ws:
        if frame.type == aiohttp.WSMsgType.BINARY and v1:
            decoded = wire.decode_v1(frame.data)
        elif frame.type == aiohttp.WSMsgType.TEXT and not v1:
            decoded = wire.decode_legacy(frame.data)
        elif frame.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.ERROR):
            break
        else:
            continue
        if decoded and wire.is_reply_to(decoded[1], msg_id, "kernel_info_reply"):
            return True
    return False
