"""Crash, start and save accounting: a pure state machine over polls and kernel events.

Why it looks like this (research/jupyter.md §3): REST keeps saying `idle` for a SIGKILLed
kernel, the `restart` event is the same for a user restart and an automatic one, and a kernel
that dies for good just vanishes with no event. So:

- every `restart` event is one `restart` crash unless a user-requested restart explains it;
  user restarts come from the server's own request metrics (POST on KernelActionHandler
  answered 200), turned into short-lived *credits* that events consume;
- a tracked kernel id that vanishes from `/api/kernels` with no `shutdown` event is one
  `death` (DELETE and culling both emit `shutdown`);
- events are classified only once they are `grace` seconds old, so the request metrics read
  at the same poll already include a user restart that produced them.

Fallbacks (documented in docs/exporter.md with their known error):
- no request metrics: every restart event counts as a crash (a user restart is over-counted);
- no continuous event stream: restarts are not seen; a vanished kernel is explained by a
  successful DELETE in the request metrics, otherwise it is a death (a culled kernel is
  over-counted); with neither source, vanished kernels are not judged at all.

Untrusted events: only ids of tracked kernels, or names of installed kernelspecs, can move a
counter, and every buffer is capped, so forged events cannot grow memory or label sets.
Cost: a step with nothing to do (the usual poll of a quiet server: same kernels, no events,
no credits) hands its input back instead of copying it, so polling an unchanged fleet stays
cheap; the result is the same as the copy would be.
Times are the exporter's clock (Unix seconds) passed in by the caller; nothing here reads a
clock, a socket or a file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from exporter import naming
from exporter.model import KernelEvent, RequestCounts, ServerView

MAX_PENDING = 4096
MAX_SHUTDOWNS = 4096


@dataclass(frozen=True, slots=True)
class Params:
    grace: float = 2.0
    credit_ttl: float = 45.0
    shutdown_ttl: float = 120.0


@dataclass(frozen=True, slots=True)
class Vanished:
    kernel_id: str
    name: str
    at: float
    window_start: float  # the previous poll: the stream must have been up since then


@dataclass(frozen=True, slots=True)
class Accounting:
    baseline: bool = False
    server_started: float | None = None
    last_poll: float | None = None
    tracked: Mapping[str, str] = field(default_factory=dict)  # kernel id -> kernelspec
    pending: tuple[KernelEvent, ...] = ()
    shutdowns: Mapping[str, float] = field(default_factory=dict)
    gone: Mapping[str, float] = field(default_factory=dict)  # ids that vanished: never re-track
    vanished: tuple[Vanished, ...] = ()
    restart_credits: tuple[float, ...] = ()
    delete_credits: tuple[float, ...] = ()
    counts: RequestCounts | None = None
    events_since: float | None = None
    probe_put_debt: Mapping[str, int] = field(default_factory=dict)
    starts: Mapping[str, int] = field(default_factory=dict)
    crashes: Mapping[tuple[str, str], int] = field(default_factory=dict)
    saves: Mapping[str, float] = field(default_factory=dict)
    auth_failures: float = 0.0


def _inc(mapping: Mapping, key: object, amount: float = 1) -> dict:
    out = dict(mapping)
    out[key] = out.get(key, 0) + amount
    return out


def on_stream(acc: Accounting, up: bool, now: float) -> Accounting:
    """The event stream (re)connected or dropped."""
    if up:
        return acc if acc.events_since is not None else replace(acc, events_since=now)
    return acc if acc.events_since is None else replace(acc, events_since=None)


def on_event(acc: Accounting, event: KernelEvent) -> tuple[Accounting, str]:
    """Buffer one validated event; returns the outcome label for jupyter_exporter_events."""
    if event.status != "success" or event.action == "interrupt":
        return acc, naming.EVENT_ACCEPTED
    if event.action == "shutdown":
        shutdowns = dict(acc.shutdowns)
        if len(shutdowns) >= MAX_SHUTDOWNS and event.kernel_id not in shutdowns:
            oldest = min(shutdowns, key=shutdowns.__getitem__)
            del shutdowns[oldest]
        shutdowns[event.kernel_id] = event.received
        return replace(acc, shutdowns=shutdowns), naming.EVENT_ACCEPTED
    if len(acc.pending) >= MAX_PENDING:
        return acc, naming.EVENT_DROPPED
    return replace(acc, pending=(*acc.pending, event)), naming.EVENT_ACCEPTED


def on_probe_put(acc: Accounting, result: str) -> Accounting:
    """The exporter's own save probe PUT something: not a user save."""
    return replace(acc, probe_put_debt=_inc(acc.probe_put_debt, result))


def _delta(new: float, old: float | None) -> float:
    if old is None:
        return 0.0
    return new - old if new >= old else new  # a counter reset: the server restarted


def _apply_counts(acc: Accounting, counts: RequestCounts | None, now: float,
                  restarted: bool) -> Accounting:
    if counts is None or (counts is acc.counts and not restarted):
        return acc  # the same reading again (a light poll carries it over): no deltas
    old = None if (acc.counts is None and not restarted) else acc.counts
    if old is None and not restarted:
        return replace(acc, counts=counts)
    zero = RequestCounts(0, 0, 0, 0, 0)
    base = zero if restarted else old
    assert base is not None
    saves, debt = dict(acc.saves), dict(acc.probe_put_debt)
    for result, new, prev in ((naming.SAVE_SUCCESS, counts.saves_success, base.saves_success),
                              (naming.SAVE_FAILURE, counts.saves_failure, base.saves_failure)):
        delta = _delta(new, prev)
        owed = debt.get(result, 0)
        saves[result] = saves.get(result, 0.0) + max(0.0, delta - owed)
        debt[result] = int(max(0.0, owed - delta))
    n_restarts = int(_delta(counts.user_restarts, base.user_restarts))
    n_deletes = int(_delta(counts.deletes, base.deletes))
    return replace(
        acc, counts=counts, saves=saves, probe_put_debt=debt,
        auth_failures=acc.auth_failures + _delta(counts.auth_failures, base.auth_failures),
        restart_credits=acc.restart_credits + (now,) * min(n_restarts, MAX_PENDING),
        delete_credits=acc.delete_credits + (now,) * min(n_deletes, MAX_PENDING),
    )


def _event_name(acc: Accounting, event: KernelEvent, specs: frozenset[str]) -> str | None:
    name = acc.tracked.get(event.kernel_id)
    if name is not None:
        return name
    return event.kernel_name if event.kernel_name in specs else None


def _classify_events(acc: Accounting, view: ServerView, probes: frozenset[str], now: float,
                     grace: float) -> Accounting:
    ready = [e for e in acc.pending if e.received <= now - grace]
    if not ready:
        return acc
    keep = tuple(e for e in acc.pending if e.received > now - grace)
    tracked, starts, crashes = dict(acc.tracked), dict(acc.starts), dict(acc.crashes)
    credits = list(acc.restart_credits)
    for event in sorted(ready, key=lambda e: e.received):
        name = None if event.kernel_id in probes else _event_name(acc, event, view.kernelspecs)
        if name is None:
            continue
        if event.action == "start" and event.kernel_id not in tracked \
                and event.kernel_id not in acc.gone:
            starts[name] = starts.get(name, 0) + 1
        elif event.action == "restart":
            if credits:
                credits.pop(0)  # a user restart the request metrics saw
            else:  # without request metrics there are no credits: the documented over-count
                key = (name, naming.CRASH_RESTART)
                crashes[key] = crashes.get(key, 0) + 1
        if event.kernel_id not in acc.gone:  # a late event must not resurrect a dead kernel
            tracked[event.kernel_id] = name
    return replace(acc, pending=keep, tracked=tracked, starts=starts, crashes=crashes,
                   restart_credits=tuple(credits))


def _diff_kernels(acc: Accounting, current: Mapping[str, str], now: float) -> Accounting:
    if current == acc.tracked:  # the usual poll: no kernel came or went
        return acc
    starts = dict(acc.starts)
    for kid, name in current.items():
        if kid not in acc.tracked and acc.baseline:
            starts[name] = starts.get(name, 0) + 1
    window = acc.last_poll if acc.last_poll is not None else now
    vanished = tuple(Vanished(kid, name, now, window) for kid, name in acc.tracked.items()
                     if kid not in current and kid not in acc.shutdowns)
    gone = dict(acc.gone)
    for kid in acc.tracked:
        if kid not in current:
            gone[kid] = now
    if len(gone) > MAX_SHUTDOWNS:
        # Keep the newest in one sort: trimming the oldest one at a time was quadratic, and a
        # flood of forged events made one poll block the event loop for seconds.
        gone = dict(sorted(gone.items(), key=lambda item: item[1])[-MAX_SHUTDOWNS:])
    return replace(acc, starts=starts, tracked=dict(current), vanished=acc.vanished + vanished,
                   gone=gone)


def _judge_vanished(acc: Accounting, current: Mapping[str, str], now: float,
                    grace: float) -> Accounting:
    if not acc.vanished:
        return acc
    crashes, deletes = dict(acc.crashes), list(acc.delete_credits)
    keep = []
    for gone in acc.vanished:
        if gone.kernel_id in current or gone.kernel_id in acc.shutdowns:
            continue
        if gone.at > now - grace:
            keep.append(gone)
            continue
        streamed = acc.events_since is not None and acc.events_since <= gone.window_start
        if streamed:
            dead = True
        elif deletes:
            deletes.pop(0)
            dead = False
        else:
            dead = acc.counts is not None
        if dead:
            key = (gone.name, naming.CRASH_DEATH)
            crashes[key] = crashes.get(key, 0) + 1
    return replace(acc, crashes=crashes, vanished=tuple(keep), delete_credits=tuple(deletes))


def _expire(acc: Accounting, now: float, params: Params) -> Accounting:
    if not (acc.restart_credits or acc.delete_credits or acc.shutdowns or acc.gone):
        return acc
    return replace(
        acc,
        restart_credits=tuple(t for t in acc.restart_credits if t > now - params.credit_ttl),
        delete_credits=tuple(t for t in acc.delete_credits if t > now - params.credit_ttl),
        shutdowns={k: t for k, t in acc.shutdowns.items() if t > now - params.shutdown_ttl},
        gone={k: t for k, t in acc.gone.items() if t > now - params.shutdown_ttl},
    )


def on_poll(acc: Accounting, view: ServerView, probes: frozenset[str], now: float,
            params: Params = Params()) -> Accounting:
    """Fold one successful poll in. `probes` are the exporter's own probe kernel ids."""
    restarted = acc.baseline and view.started is not None and view.started != acc.server_started
    if restarted:  # a new server process: its kernels are not ours to judge against the old
        acc = replace(acc, tracked={}, vanished=(), pending=(), baseline=False)
    acc = _apply_counts(acc, view.request_counts, now, restarted)
    current = {k.id: k.name for k in view.kernels if k.id not in probes}
    acc = _classify_events(acc, view, probes, now, params.grace)
    acc = _diff_kernels(acc, current, now)
    acc = _judge_vanished(acc, current, now, params.grace)
    acc = _expire(acc, now, params)
    return replace(acc, baseline=True, server_started=view.started, last_poll=now)
