"""`build_dashboards`: SLO model in, file name -> text out, for `OUTDIR/grafana/dashboards/`.

Pure: no files, no network. Each dashboard is built with grafanalib, serialised in grafanalib's
old model, then passed through `dashboards.modern` and rendered as stable JSON; the provider
YAML rides along. The SLOs matter where the recording rules alone cannot tell: which alert
windows and burn factors exist (the SLO detail dashboard's tier panels) and which windows to
offer; everything else selects SLOs by label at query time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from dashboards import debug, detail, executive, naming, oncall, overview, render
from dashboards.common import Board
from dashboards.modern import modernize
from slo import duration
from slo.model import SLO
from slo.windows import AlertWindows, load_catalogue

DEFAULT_PERIOD_MS = duration.parse("30d")


def boards(slos: Sequence[SLO], *, version: str,
           catalogue: Mapping[int, AlertWindows] | None = None,
           default_period_ms: int = DEFAULT_PERIOD_MS) -> tuple[Board, ...]:
    """Every dashboard as grafanalib objects with its panels' needs (tests read the needs)."""
    windows = windows_by_slo(slos, catalogue, default_period_ms)
    return (
        overview.build(version=version),
        detail.build(windows, version=version),
        executive.build(version=version),
        oncall.build(version=version),
        debug.build(version=version),
    )


def windows_by_slo(slos: Sequence[SLO], catalogue: Mapping[int, AlertWindows] | None,
                   default_period_ms: int) -> dict[str, AlertWindows]:
    """Each SLO's alert windows; with no SLOs, the default period's (the detail dashboard
    still needs tiers to draw)."""
    known = dict(catalogue) if catalogue is not None else load_catalogue()
    wanted = {s.id: s.period_ms or default_period_ms for s in slos} or {"": default_period_ms}
    missing = sorted({duration.format_ms(p) for p in wanted.values() if p not in known})
    if missing:
        raise ValueError(f"no alert windows for SLO period(s) {', '.join(missing)}")
    return {slo_id: known[period] for slo_id, period in wanted.items()}


def dashboard_dicts(slos: Sequence[SLO], *, version: str,
                    catalogue: Mapping[int, AlertWindows] | None = None,
                    default_period_ms: int = DEFAULT_PERIOD_MS) -> dict[str, dict]:
    return {naming.file_name(b.name): modernize(render.legacy_json(b.dashboard))
            for b in boards(slos, version=version, catalogue=catalogue,
                            default_period_ms=default_period_ms)}


def build_dashboards(slos: Sequence[SLO], *, version: str,
                     catalogue: Mapping[int, AlertWindows] | None = None,
                     default_period_ms: int = DEFAULT_PERIOD_MS,
                     provider_path: str = render.DEFAULT_PROVIDER_PATH) -> dict[str, str]:
    """File name -> text: one JSON per dashboard and the Grafana provider YAML.

    `catalogue` and `default_period_ms` must be the ones the rules were generated with, so
    the burn-rate panels show the windows and thresholds the alerts really use.
    """
    files = {name: render.dashboard_json(d)
             for name, d in dashboard_dicts(slos, version=version, catalogue=catalogue,
                                            default_period_ms=default_period_ms).items()}
    files[naming.PROVIDER_FILE] = render.provider_yaml(version, provider_path)
    return dict(sorted(files.items()))
