"""Concurrency and idleness: kernels by state, sessions, connections, terminals, idle, starts.

Probe kernels and probe sessions are left out everywhere here: a user-facing gauge must not
move because the exporter measured something.
"""

from __future__ import annotations

from collections import Counter

from exporter import naming
from exporter.collectors.base import ExporterView, Rendered, add, family
from exporter.model import Kernel
from exporter.probes.kernel import is_probe_session, probe_kernel_ids
from exporter.state import TargetState


def user_kernels(target: TargetState) -> tuple[Kernel, ...]:
    if target.view is None:
        return ()
    probes = target.probe_kernels | probe_kernel_ids(target.view.sessions)
    return tuple(k for k in target.view.kernels if k.id not in probes)


def is_idle(kernel: Kernel, now: float, threshold: float) -> bool:
    return (kernel.execution_state == "idle" and kernel.connections == 0
            and kernel.last_activity is not None and now - kernel.last_activity > threshold)


def render(view: ExporterView) -> Rendered:
    kernels, sessions = family(naming.KERNELS), family(naming.SESSIONS)
    connections, terminals = family(naming.KERNEL_CONNECTIONS), family(naming.TERMINALS)
    idle, starts = family(naming.IDLE_KERNELS), family(naming.KERNEL_STARTS)
    ok = True
    for target in view.targets:
        for name, count in sorted(target.accounting.starts.items()):
            add(starts, (target.name, name), count)
        if not target.up or target.view is None:
            ok = False
            continue
        mine = user_kernels(target)
        by_state = Counter((k.name, k.execution_state) for k in mine)
        for (name, state), count in sorted(by_state.items()):
            add(kernels, (target.name, name, state), count)
        idle_by_name = Counter(k.name for k in mine if is_idle(k, view.now, view.idle_threshold))
        for name in sorted({k.name for k in mine} | set(target.view.kernelspecs)):
            add(idle, (target.name, name), idle_by_name.get(name, 0))
        user_sessions = [s for s in target.view.sessions if not is_probe_session(s)]
        add(sessions, (target.name,), len(user_sessions))
        add(connections, (target.name,), sum(k.connections for k in mine))
        if target.view.terminals is not None:
            add(terminals, (target.name,), target.view.terminals)
    return Rendered((kernels, sessions, connections, terminals, idle, starts), ok)
