"""User saves and auth failures, from the server's own request metrics via the accounting."""

from __future__ import annotations

from exporter import naming
from exporter.collectors.base import ExporterView, Rendered, add, family


def render(view: ExporterView) -> Rendered:
    saves, auth = family(naming.CONTENTS_SAVES), family(naming.AUTH_FAILURES)
    ok = True
    for target in view.targets:
        acc = target.accounting
        if acc.counts is None:
            ok = False
            continue
        for result in naming.SAVE_RESULTS:
            add(saves, (target.name, result), acc.saves.get(result, 0.0))
        add(auth, (target.name,), acc.auth_failures)
        ok = ok and target.metrics_error is None
    return Rendered((saves, auth), ok)
