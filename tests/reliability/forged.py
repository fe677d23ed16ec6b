"""Forged event-stream messages, as any client with the events permission could POST them:
a seeded, bounded generator mixing every shape the exporter must survive.

Kinds (round-robin, so every batch holds each): kernel_actions events for random kernel ids
with hostile kernel names (label-cardinality attacks), with an installed kernelspec's name
(the documented way a forged event can move a counter), shutdowns of random ids (fills the
remembered-shutdowns cap), other schemas, non-object JSON, broken JSON, path-traversal ids
and oversized names. `HOSTILE_NAMES` lists the names so a test can look for them in
/metrics.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Iterator
from typing import Any

from tests.reliability.upstreams import kernel_event

HOSTILE_NAMES = ("evil\nname", 'x"}', "../../etc/passwd", "n" * 300, "ünï", "{{kernel}}",
                 "a b", "name-with-ok-chars-but-forged")
SPOOFED_SPEC = "python3"  # installed on the fake upstream


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def forged(count: int, seed: int = 0) -> Iterator[Any]:
    rng = random.Random(seed)
    actions = ("start", "restart", "shutdown", "interrupt")
    for i in range(count):
        kind = i % 8
        if kind == 0:
            yield kernel_event(rng.choice(actions), _uuid(rng), rng.choice(HOSTILE_NAMES))
        elif kind == 1:
            yield kernel_event(rng.choice(("start", "restart")), _uuid(rng), SPOOFED_SPEC)
        elif kind == 2:
            yield kernel_event("shutdown", _uuid(rng), SPOOFED_SPEC)
        elif kind == 3:
            yield {"schema_id": f"https://evil.example/{rng.randrange(10**9)}/v1",
                   "action": "start", "kernel_id": _uuid(rng)}
        elif kind == 4:
            yield rng.choice(([1, 2, 3], 42, "just a string", None, True))
        elif kind == 5:
            yield '{"schema_id": "' + "x" * rng.randrange(1, 100)  # broken JSON, sent raw
        elif kind == 6:
            yield kernel_event("restart", "../../" + _uuid(rng), SPOOFED_SPEC)
        else:
            event = kernel_event("start", _uuid(rng), SPOOFED_SPEC)
            event["status"] = rng.choice(("error", "pending", 7))
            yield event


def oversized(size: int = 100 * 1024) -> str:
    """One frame past the exporter's 64 KiB frame cap."""
    return json.dumps(kernel_event("start", str(uuid.uuid4()), "python3") | {"pad": "x" * size})
