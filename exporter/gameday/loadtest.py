"""`jupyter-slo loadtest`: N users starting kernels at once, for a while, then cleaning up.

Each of `concurrency` workers repeats: POST a kernel, wait for its `kernel_info_reply`
(the clock runs from before the POST to the reply), delete it. So at most `concurrency`
kernels of ours exist at any moment. Bounds: the duration, `max_starts` in total, and
`start_timeout` per start. Cleanup: every kernel id the server gave us stays in `made` until
its DELETE succeeded; a POST still in flight when the run is stopped is awaited (shielded
from cancellation), so its kernel is known and deleted too. At the end every remaining id is
deleted and the server's kernel list is checked for leftovers, which the report counts.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TextIO

import aiohttp

from exporter.gameday import kernels
from exporter.gameday.stats import Tally, percentile
from exporter.gameday.target import Target

CLEANUP_TIMEOUT = 60.0


@dataclass(frozen=True, slots=True)
class LoadSpec:
    concurrency: int
    duration: float
    kernel_name: str = "python3"
    start_timeout: float = 60.0
    max_starts: int = 1000
    progress_every: float = 1.0


@dataclass
class _Run:
    spec: LoadSpec
    target: Target
    http: aiohttp.ClientSession
    tally: Tally = field(default_factory=Tally)
    made: set[str] = field(default_factory=set)
    posts: set[asyncio.Future[str]] = field(default_factory=set)
    begun: int = 0
    in_flight: int = 0

    async def one_start(self) -> None:
        t0 = time.perf_counter()
        post = asyncio.ensure_future(kernels.start(self.http, self.target,
                                                   self.spec.kernel_name))
        self.posts.add(post)
        post.add_done_callback(self._remember)
        kernel_id = None
        self.in_flight += 1
        try:
            async with asyncio.timeout(self.spec.start_timeout):
                kernel_id = await asyncio.shield(post)
                await kernels.kernel_info(self.http, self.target, kernel_id)
            self.tally.latencies.append(time.perf_counter() - t0)
        except TimeoutError:
            self.tally.failures["timeout"] += 1
        except kernels.ApiError as exc:
            self.tally.failures[exc.reason] += 1
        except (aiohttp.ClientError, OSError):  # a socket dropped mid-handshake or mid-frame
            self.tally.failures["connection"] += 1
        finally:
            self.in_flight -= 1
        if kernel_id is not None and await kernels.delete(self.http, self.target, kernel_id):
            self.made.discard(kernel_id)

    def _remember(self, post: asyncio.Future[str]) -> None:
        self.posts.discard(post)
        if not post.cancelled() and post.exception() is None:
            self.made.add(post.result())

    async def worker(self, end: float) -> None:
        while time.monotonic() < end and self.begun < self.spec.max_starts:
            self.begun += 1
            await self.one_start()

    async def cleanup(self) -> None:
        """Delete everything we made; count what the server still lists afterwards."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(CLEANUP_TIMEOUT):
                if self.posts:
                    await asyncio.wait(set(self.posts))
                for kernel_id in sorted(self.made):
                    if await kernels.delete(self.http, self.target, kernel_id):
                        self.made.discard(kernel_id)
                listed = {k["id"] for k in await kernels.list_kernels(self.http, self.target)}
                self.made &= listed
        self.tally.left_behind = len(self.made)


def progress_line(run: _Run, elapsed: float) -> str:
    ordered = sorted(run.tally.latencies)
    p50 = f"{percentile(ordered, 0.5):.2f}s" if ordered else "-"
    return (f"[{elapsed:5.1f}s/{run.spec.duration:g}s] started {len(ordered)} "
            f"failed {sum(run.tally.failures.values())} in flight {run.in_flight} p50 {p50}")


async def _progress(run: _Run, start: float, out: TextIO) -> None:
    tty = out.isatty()
    while True:
        await asyncio.sleep(run.spec.progress_every)
        line = progress_line(run, time.monotonic() - start)
        out.write(f"\r{line}" if tty else f"{line}\n")
        out.flush()


async def run_load(spec: LoadSpec, target: Target, out: TextIO = sys.stderr,
                   on_stop: Callable[[int], None] = lambda _: None) -> tuple[Tally, float]:
    """Run until the duration ends or SIGINT/SIGTERM arrives (`on_stop` learns which)."""
    start = time.monotonic()
    limits = aiohttp.TCPConnector(limit=spec.concurrency * 2 + 4)
    async with aiohttp.ClientSession(connector=limits) as http:
        run = _Run(spec, target, http)
        workers = [asyncio.create_task(run.worker(start + spec.duration))
                   for _ in range(spec.concurrency)]
        ticker = asyncio.create_task(_progress(run, start, out))
        loop = asyncio.get_running_loop()

        def stop(signum: int) -> None:
            on_stop(signum)
            for task in workers:
                task.cancel()

        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop, sig)
        try:
            await asyncio.gather(*workers, return_exceptions=True)
        finally:
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)
            ticker.cancel()
            if out.isatty():
                out.write("\n")
            await run.cleanup()
    return run.tally, time.monotonic() - start
