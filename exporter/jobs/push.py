"""Record a run into a Prometheus Pushgateway group (`job`=PUSH_JOB, `notebook_job`=NAME).

A Pushgateway keeps whatever was pushed last and never adds counters up, so the run reads
its group's current series first, applies the outcome and PUTs the whole group back (the
previous last-success time is carried over on a failure). The read and the push are two
requests: two runs of the *same* job finishing within the same instant on different hosts can
lose one increment. Runs of different jobs never interfere (one group each). Use the textfile
sink where that matters. Requests are bounded by `timeout`; the URL must not carry
credentials or a query string, which would show in `ps` and in error texts.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from urllib.parse import urlsplit

from prometheus_client.exposition import push_to_gateway

from exporter.jobs import naming as n
from exporter.jobs.state import Outcome, ParseError, apply, parse, registry, restrict

TIMEOUT = 10.0
MAX_BODY = 32 * 1024 * 1024


class PushError(OSError):
    """The Pushgateway could not be read or written; the message names the URL only."""


def check_url(url: str) -> str:
    """The gateway base URL without trailing slash; ValueError for an unusable one."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"invalid Pushgateway URL {url.split('?', 1)[0]!r} "
                         "(expected http(s)://host:port)")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise ValueError("a Pushgateway URL must not carry credentials or a query string")
    return url.rstrip("/")


def _current(url: str, timeout: float) -> str:
    try:
        with urllib.request.urlopen(f"{url}/metrics", timeout=timeout) as resp:
            body = resp.read(MAX_BODY + 1)
    except (urllib.error.URLError, OSError) as exc:
        raise PushError(f"reading {url}/metrics failed: {getattr(exc, 'reason', exc)}") from None
    if len(body) > MAX_BODY:
        raise PushError(f"{url}/metrics is larger than {MAX_BODY} bytes")
    return body.decode("utf-8", errors="replace")


def record(url: str, outcome: Outcome, timeout: float = TIMEOUT) -> None:
    grouping = {n.LABEL_NOTEBOOK_JOB: outcome.job}
    try:
        before = parse(_current(url, timeout), only={"job": n.PUSH_JOB, **grouping})
    except ParseError as exc:
        raise PushError(f"{url}/metrics is not valid exposition: {exc}") from None
    after = restrict(apply(before, outcome), outcome.job)
    try:
        push_to_gateway(url, job=n.PUSH_JOB, registry=registry(after), grouping_key=grouping,
                        timeout=timeout)
    except (urllib.error.URLError, OSError) as exc:
        raise PushError(f"pushing to {url} failed: {getattr(exc, 'reason', exc)}") from None
