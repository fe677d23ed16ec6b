"""`runbook_url` and `dashboard_url` annotations: for burn-rate alerts and operational ones.

An on-call engineer opens a page on a phone: the first thing it must offer is what to do
(the runbook) and where to look (the dashboard, already on the right SLO or server). Both
are built from the base URLs in `alerting.yaml` (`links`), never typed per alert.

Which runbook a burn-rate alert gets: a `runbook_url` the spec's author wrote wins; otherwise
the runbook of the exporter metric the SLI reads (a kernel-crash SLI gets the kernel-crash
runbook, whatever the SLO is called); otherwise the generic burn-rate runbook. The no-data
alert (`<name>NoData`) gets the no-data runbook.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from alerts import naming
from alerts.config import Links
from dashboards import naming as dash
from exporter import naming as metrics
from slo.model import SLO, EventsSLI, LatencySLI, RawSLI
from slo.plugins import SLORequest
from slo.rules import Rule, SLORules

RUNBOOK_URL = "runbook_url"
DASHBOARD_URL = "dashboard_url"

# Checked in order: the first metric an SLI's queries mention picks the runbook.
_RUNBOOK_BY_METRIC: tuple[tuple[str, str], ...] = (
    (metrics.KERNEL_CRASHES.name, naming.RUNBOOK_KERNEL_CRASH),
    (metrics.KERNEL_STARTUP_ATTEMPTS.name, naming.RUNBOOK_SLOW_KERNEL_START),
    (metrics.KERNEL_STARTUP.name, naming.RUNBOOK_SLOW_KERNEL_START),
    (metrics.CONTENTS_SAVES.name, naming.RUNBOOK_SAVE_FAILURES),
    (metrics.PROBE_SAVES.name, naming.RUNBOOK_SAVE_FAILURES),
    (metrics.PROBE_SAVE_SECONDS.name, naming.RUNBOOK_SAVE_FAILURES),
    (metrics.AUTH_FAILURES.name, naming.RUNBOOK_AUTH_FAILURES),
    (metrics.UP.name, naming.RUNBOOK_TARGET_DOWN),
)


def runbook_url(links: Links, stem: str) -> str:
    return f"{links.runbook_base_url}{naming.runbook_file(stem)}"


def dashboard_url(links: Links, name: str, variables: Mapping[str, str] | None = None) -> str:
    """A dashboard's URL; variable values may be alert templates (`{{ $labels.server }}`)."""
    query = "&".join(f"var-{k}={v}" for k, v in (variables or {}).items())
    return f"{links.grafana_url}{dash.path(name)}" + (f"?{query}" if query else "")


def slo_dashboard_url(links: Links, slo_id: str) -> str:
    return f"{links.grafana_url}{dash.detail_path(slo_id)}"


def _queries(slo: SLO) -> str:
    sli = slo.sli
    if isinstance(sli, LatencySLI):
        sli = sli.as_events()
    if isinstance(sli, EventsSLI):
        return f"{sli.error_query}\n{sli.total_query}"
    if isinstance(sli, RawSLI):
        return sli.error_ratio_query
    return ""


def slo_runbook(slo: SLO) -> str:
    """The runbook stem for an SLO's burn-rate alerts, from the metrics its SLI reads."""
    text = _queries(slo)
    for metric, stem in _RUNBOOK_BY_METRIC:
        if metric in text:
            return stem
    return naming.RUNBOOK_SLO_BURN


def annotate_slo_rules(slo: SLO, rules: tuple[Rule, ...], links: Links) -> tuple[Rule, ...]:
    """The SLO's alerting rules with both links added; recording rules are left alone."""
    out = []
    for rule in rules:
        if not rule.alert:
            out.append(rule)
            continue
        no_data = bool(slo.alerting.name) and rule.alert == f"{slo.alerting.name}NoData"
        stem = naming.RUNBOOK_SLO_NO_DATA if no_data else slo_runbook(slo)
        added = {RUNBOOK_URL: runbook_url(links, stem),
                 DASHBOARD_URL: slo_dashboard_url(links, slo.id)}
        # What the spec's author wrote wins over what we derive.
        out.append(replace(rule, annotations={**added, **rule.annotations}))
    return tuple(out)


@dataclass(frozen=True)
class LinkAnnotations:
    """An SLO plugin (`process(request, rules)`): add it after the core plugins in default
    mode and every burn-rate alert carries `runbook_url` and `dashboard_url`."""

    links: Links

    def process(self, request: SLORequest, rules: SLORules) -> SLORules:
        return replace(rules, alerts=annotate_slo_rules(request.slo, rules.alerts, self.links))


def server_dashboard(links: Links) -> str:
    """The on-call dashboard narrowed to the alert's server (a template Prometheus fills)."""
    return dashboard_url(links, dash.ON_CALL, {dash.VAR_SERVER: "{{ $labels.server | urlquery }}"})
