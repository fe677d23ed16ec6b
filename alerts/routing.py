"""The Alertmanager 0.25 configuration generated from `alerting.yaml`.

The tree, first match wins: one route per (team, severity) a team changes (its own receiver,
or a maintenance window muting it), then one route per severity to the default receivers; the
root catches anything else as a ticket, so no alert is lost. Every route groups by alert name,
service, SLO and the team label, so one page per SLO and team, however many series burn.
A page for an SLO inhibits tickets for the same SLO (`equal: [sloth_id]`, both sides required
to have one: operational alerts carry none and must not silence each other). Matchers use the
modern `matchers` syntax; `match`/`match_re` are deprecated. Maintenance windows become
`time_intervals` named on the routes they mute (`mute_time_intervals`).
"""

from __future__ import annotations

from typing import Any

from alerts import naming
from alerts.config import AlertingConfig, Timing
from alerts.receivers import receiver
from slo import naming as slo_naming
from slo.render import dump


def matcher(label: str, value: str, op: str = "=") -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'{label}{op}"{escaped}"'


def _timing(timing: Timing) -> dict[str, str]:
    return {"group_wait": timing.group_wait, "group_interval": timing.group_interval,
            "repeat_interval": timing.repeat_interval}


def _mutes(config: AlertingConfig, team: str, severity: str) -> list[str]:
    return [m.name for m in config.maintenance
            if any(sel.selects(team, severity) for sel in m.mute)]


def _route(config: AlertingConfig, receiver_name: str, team: str, severity: str) -> dict:
    matchers = [matcher(config.team_label, team)] if team else []
    route: dict[str, Any] = {"receiver": receiver_name,
                             "matchers": [*matchers, matcher(naming.LABEL_SEVERITY, severity)],
                             **_timing(config.timing[severity])}
    muted = _mutes(config, team, severity)
    if muted:
        route["mute_time_intervals"] = muted
    return route


def _teams(config: AlertingConfig) -> list[str]:
    """Teams needing routes of their own: those with receivers, and those a window names."""
    named = {sel.team for m in config.maintenance for sel in m.mute if sel.team}
    return sorted(named | {t.name for t in config.teams})


def alertmanager_config(config: AlertingConfig) -> dict[str, Any]:
    own = {t.name: t.receivers for t in config.teams}
    receivers = [receiver(naming.default_receiver(s), config.receivers.get(s, ()))
                 for s in naming.SEVERITIES]
    routes = []
    for team in _teams(config):
        for severity in naming.SEVERITIES:
            mine = own.get(team, {}).get(severity)
            if mine is not None:
                name = naming.team_receiver(team, severity)
                receivers.append(receiver(name, mine))
            elif not _mutes(config, team, severity):
                continue  # nothing differs from the default route
            else:
                name = naming.default_receiver(severity)
            routes.append(_route(config, name, team, severity))
    routes += [_route(config, naming.default_receiver(s), "", s) for s in naming.SEVERITIES]
    page, ticket = naming.PAGE, naming.TICKET
    has_slo = matcher(naming.LABEL_ID, ".+", "=~")
    out: dict[str, Any] = {
        "route": {
            "receiver": naming.default_receiver(ticket),
            "group_by": ["alertname", slo_naming.LABEL_SERVICE, slo_naming.LABEL_SLO,
                         config.team_label],
            **_timing(config.timing[ticket]),
            "routes": routes,
        },
        "inhibit_rules": [{
            "source_matchers": [matcher(naming.LABEL_SEVERITY, page), has_slo],
            "target_matchers": [matcher(naming.LABEL_SEVERITY, ticket), has_slo],
            "equal": [naming.LABEL_ID],
        }],
        "receivers": receivers,
    }
    if config.maintenance:
        out["time_intervals"] = [{"name": m.name, "time_intervals": list(m.time_intervals)}
                                 for m in config.maintenance]
    return out


def render_alertmanager(config: AlertingConfig, version: str) -> str:
    """The text of `OUTDIR/alertmanager/alertmanager.yaml`."""
    return (slo_naming.header(version) + f"# routing: {config.source}\n"
            + dump(alertmanager_config(config)))
