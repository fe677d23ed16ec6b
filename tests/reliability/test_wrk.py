"""`/metrics` under wrk (50 connections, 10 s) while the exporter polls a real Jupyter
Server every second: no socket error, no non-2xx answer, and polling goes on underneath.

wrk is a Debian package (`apt-get install wrk`); when it is missing the test fails, it
never skips.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from exporter import naming
from tests.exporter.metrics import value
from tests.exporter.servers import JupyterServer, wait_until
from tests.reliability import ledger
from tests.reliability.measure import exporter_for, series

pytestmark = pytest.mark.real

CONNECTIONS, SECONDS, POLL = 50, 10, 1.0
REQUESTS = re.compile(r"(\d+) requests in ([\d.]+)s")
SOCKET_ERRORS = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")
NON_2XX = re.compile(r"Non-2xx or 3xx responses: (\d+)")
P99 = re.compile(r"^\s+99%\s+(\S+)$", re.MULTILINE)


@pytest.mark.timeout(120)
def test_metrics_under_wrk_while_polling(jupyter: JupyterServer, tmp_path: Path) -> None:
    wrk = shutil.which("wrk")
    assert wrk, "wrk is missing: apt-get install -y wrk"
    exp = exporter_for(jupyter.url, jupyter.token, tmp_path, f"--poll-interval={POLL}s")
    try:
        before = wait_until(lambda: (t := exp.metrics_text())
                            and value(t, naming.UP.name) == 1 and t, 20, "first poll")
        with ledger.fault(f"wrk: {CONNECTIONS} connections for {SECONDS} s on /metrics") as row:
            row.injected += 1
            run = subprocess.run(
                [wrk, "-t2", f"-c{CONNECTIONS}", f"-d{SECONDS}s", "--timeout", "5s", "--latency",
                 exp.url + "metrics"], capture_output=True, text=True, timeout=SECONDS + 30)
            finished = time.time()
            out = run.stdout
            assert run.returncode == 0, run.stderr
            match = REQUESTS.search(out)
            assert match, out
            requests = int(match.group(1))
            assert requests > CONNECTIONS, out
            assert not SOCKET_ERRORS.search(out), f"wrk saw socket errors:\n{out}"
            assert not NON_2XX.search(out), f"wrk saw non-2xx answers:\n{out}"
            after = exp.metrics_text()
            assert exp.proc.poll() is None
            assert value(after, naming.UP.name) == 1
            last_poll = value(after, naming.LAST_POLL.name)
            assert last_poll is not None and finished - last_poll < 3 * POLL + 2, \
                "polling must go on under scrape load"
            assert series(after) == series(before)
            failed = sum((value(after, naming.POLL_ERRORS.name, reason=r) or 0)
                         - (value(before, naming.POLL_ERRORS.name, reason=r) or 0)
                         for r in naming.POLL_ERROR_REASONS)
            row.survived += 1
            p99 = P99.search(out)
            row.lost(f"0 errors in {requests} scrapes ({requests / SECONDS:.0f}/s, p99 "
                     f"{p99.group(1) if p99 else '?'}); {failed:.0f} polls failed meanwhile")
    finally:
        exp.stop()
