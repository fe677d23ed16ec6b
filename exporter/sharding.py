"""`--shard I/N`: which servers this replica watches.

A server belongs to shard `sha256(name) mod N`. The hash is stable across processes,
hosts and Python versions (unlike `hash()`, which is salted per process), so N replicas
given 0/N .. N-1/N agree without talking to each other and cover every server exactly once;
a server keeps its shard as the fleet grows and shrinks.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from exporter.config import ConfigError


@dataclass(frozen=True, slots=True)
class Shard:
    index: int = 0
    count: int = 1

    def owns(self, name: str) -> bool:
        return self.count == 1 or shard_of(name, self.count) == self.index


def shard_of(name: str, count: int) -> int:
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % count


def parse_shard(text: str) -> Shard:
    """`I/N` with 0 <= I < N (0-based, like StatefulSet ordinals)."""
    index, sep, count = text.partition("/")
    if not sep or not index.isdigit() or not count.isdigit():
        raise ConfigError(f"invalid --shard {text!r} (expected I/N, e.g. 0/4)")
    shard = Shard(int(index), int(count))
    if shard.count < 1 or not 0 <= shard.index < shard.count:
        raise ConfigError(f"invalid --shard {text!r}: need 0 <= I < N")
    return shard
