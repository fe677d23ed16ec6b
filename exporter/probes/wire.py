"""Kernel websocket framing: the v1 binary subprotocol and the legacy JSON one (pure).

v1 (`v1.kernel.websocket.jupyter.org`, jupyter_server >= 1.13.5) frames a message as
little-endian uint64 offsets, then the channel name, then header, parent header, metadata,
content and buffers; the last offset is the frame's end. Legacy frames are one JSON object
with a `channel` key. Both decoders return None for anything malformed: frames come from the
network and a bad one must not end the probe with an exception.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

V1_PROTOCOL = "v1.kernel.websocket.jupyter.org"
_WORD = 8


def kernel_info_request(session: str) -> dict[str, Any]:
    header = {"msg_id": uuid.uuid4().hex, "msg_type": "kernel_info_request", "username": "",
              "session": session, "date": datetime.now(UTC).isoformat(), "version": "5.3"}
    return {"header": header, "parent_header": {}, "metadata": {}, "content": {}}


def encode_v1(msg: dict[str, Any], channel: str) -> bytes:
    parts = [json.dumps(msg[key]).encode() for key in
             ("header", "parent_header", "metadata", "content")]
    chunks = [channel.encode(), *parts]
    n_offsets = len(chunks) + 1
    offsets = [_WORD * (1 + n_offsets)]
    for chunk in chunks:
        offsets.append(offsets[-1] + len(chunk))
    head = n_offsets.to_bytes(_WORD, "little") + b"".join(
        o.to_bytes(_WORD, "little") for o in offsets)
    return head + b"".join(chunks)


def decode_v1(frame: bytes) -> tuple[str, dict[str, Any]] | None:
    """(channel, message) with header/parent_header/content decoded; None if malformed."""
    try:
        n = int.from_bytes(frame[:_WORD], "little")
        if not 3 <= n <= 64 or len(frame) < _WORD * (1 + n):
            return None
        offsets = [int.from_bytes(frame[_WORD * (i + 1):_WORD * (i + 2)], "little")
                   for i in range(n)]
        if offsets != sorted(offsets) or offsets[-1] > len(frame):
            return None
        channel = frame[offsets[0]:offsets[1]].decode()
        parts = [frame[offsets[i]:offsets[i + 1]] for i in range(1, min(n - 1, 5))]
        names = ("header", "parent_header", "metadata", "content")
        msg = {name: json.loads(part) for name, part in zip(names, parts, strict=False)}
    except (ValueError, UnicodeDecodeError):
        return None
    return (channel, msg) if isinstance(msg.get("header"), dict) else None


def encode_legacy(msg: dict[str, Any], channel: str) -> str:
    return json.dumps({**msg, "channel": channel, "buffers": []})


def decode_legacy(frame: str) -> tuple[str, dict[str, Any]] | None:
    try:
        msg = json.loads(frame)
    except ValueError:
        return None
    if not isinstance(msg, dict) or not isinstance(msg.get("header"), dict):
        return None
    return str(msg.get("channel", "")), msg


def is_reply_to(msg: dict[str, Any], msg_id: str, msg_type: str) -> bool:
    parent = msg.get("parent_header")
    return (msg["header"].get("msg_type") == msg_type and isinstance(parent, dict)
            and parent.get("msg_id") == msg_id)
