"""Background clean-up tasks that must finish before the exporter exits.

A probe returns as soon as it has its measurement; deleting what it created runs here, so
the recorded duration is the user-visible wait and not the shutdown time. `drain` is awaited
on SIGTERM so nothing the probes created outlives a clean exit.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

log = logging.getLogger("exporter.probe")


class Cleanups:
    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def __len__(self) -> int:
        return len(self._tasks)

    async def drain(self, timeout: float) -> bool:
        """Wait for every pending clean-up; False if some did not finish in time."""
        if not self._tasks:
            return True
        _done, pending = await asyncio.wait(set(self._tasks), timeout=timeout)
        for task in pending:
            task.cancel()
        if pending:
            log.warning("probe clean-up did not finish", extra={"pending": len(pending)})
        return not pending
