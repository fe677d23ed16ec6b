"""Operational alert rules: what breaks the platform or blinds the SLOs, besides burn rates.

Burn-rate alerts say users are hurt; these say why, or that we could not tell. Each alert is a
row in one table (`ALERTS`) with its severity, runbook and texts, and every expression is
built from the naming modules, so a renamed metric renames the alert's query. Severity uses
the SLO alerts' label (`sloth_severity` page|ticket), so one routing tree serves both; only
a blind or unreachable platform pages, everything else opens a ticket, because the SLO
burn-rate alerts already page for user-visible harm. Operational alerts carry no `sloth_id`,
so the page-inhibits-ticket rule never links two of them.

Besides the table, `alerting.yaml`'s `jobs:` list adds one `JupyterNotebookJobStale` rule per
scheduled notebook job (expression and texts from `exporter.jobs.alert`), after the table's
rules, with the same operational labels and links.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from alerts import links as link
from alerts import metrics as m
from alerts import naming
from alerts.config import AlertingConfig, NotebookJob
from dashboards import naming as dash
from exporter import naming as x
from exporter.jobs.alert import stale_rule
from slo import naming as slo_naming
from slo.render import rule_file
from slo.rules import Rule, RuleGroup

# Thresholds: a page or ticket should mean a person has work to do.
PROBE_WINDOW = "30m"             # six probes at the default 5m interval
PROBE_MIN_FAILURES = 2
PROBE_FAILING_RATIO = 0.5
CRASH_SPIKE_WINDOW = "15m"
CRASH_SPIKE_COUNT = 5
PROBE_KERNELS_MAX = 3
AUTH_FAILURES_PER_MINUTE = 30
GPU_MAX_CELSIUS = 85
NODE_MIN_AVAILABLE_RATIO = 0.1
NODE_MAX_MEMORY_STALL = 0.1      # share of time some task waits on memory (PSI "some")
SECRETS_WINDOW = "1h"            # saves repeat a finding; an hour keeps one ticket open
GPU_ERROR_WINDOW = "10m"


@dataclass(frozen=True)
class OperationalAlert:
    name: str
    expr: Callable[[AlertingConfig], str]
    severity: str
    runbook: str
    summary: str
    description: str
    for_: str = ""
    per_server: bool = False     # the dashboard link narrows to the alert's server


def _sum(by: str, inner: str) -> str:
    return f"sum by ({by}) ({inner})"


def _failing(metric: str, ok: str) -> str:
    failed = f'increase({metric}{{{x.LABEL_RESULT}!="{ok}"}}[{PROBE_WINDOW}])'
    every = f"increase({metric}[{PROBE_WINDOW}])"
    srv = x.LABEL_SERVER
    return (f"(\n  {_sum(srv, failed)}\n  /\n  {_sum(srv, every)}\n) >= {PROBE_FAILING_RATIO}\n"
            f"and\n{_sum(srv, failed)} >= {PROBE_MIN_FAILURES}\n")


def _exporter_down(config: AlertingConfig) -> str:
    up = f'{m.UP}{{{m.LABEL_JOB}="{config.operational.exporter_job}"}}'
    return f"{up} == 0\nor\nabsent({up})\n"


_GPU_BY = f"{m.LABEL_INSTANCE}, {m.LABEL_GPU}, {m.LABEL_UUID}"


def _crash_spike(_: AlertingConfig) -> str:
    by = f"{x.LABEL_SERVER}, {x.LABEL_KERNEL_NAME}"
    crashes = f"increase({x.KERNEL_CRASHES.name}[{CRASH_SPIKE_WINDOW}])"
    return f"{_sum(by, crashes)} >= {CRASH_SPIKE_COUNT}\n"


def _gpu_errors(_: AlertingConfig) -> str:
    """Uncorrected ECC errors, or XID errors, in the window. An XID code's series is born at
    its first event with the value 1, which `increase()` cannot see (no earlier sample), and
    one XID 79 may be all a GPU ever says: so a series younger than the window counts too."""
    w = GPU_ERROR_WINDOW
    ecc = f'increase({m.GPU_ECC_ERRORS}{{{m.LABEL_ERROR_TYPE}="{m.ECC_UNCORRECTED}"}}[{w}])'
    xid = f"increase({m.GPU_XID_ERRORS}[{w}])"
    new = f"{m.GPU_XID_ERRORS} unless {m.GPU_XID_ERRORS} offset {w}"
    return (f"{_sum(_GPU_BY, ecc)} > 0\nor\n{_sum(_GPU_BY, xid)} > 0\n"
            f"or\n{_sum(_GPU_BY, new)} > 0\n")


def _secrets_found(_: AlertingConfig) -> str:
    by = f"{x.LABEL_SERVER}, {x.LABEL_TYPE}"
    found = f"increase({x.SECRET_FINDINGS.name}[{SECRETS_WINDOW}])"
    return f"{_sum(by, found)} > 0\n"


ALERTS: tuple[OperationalAlert, ...] = (
    OperationalAlert(
        naming.EXPORTER_DOWN, _exporter_down, naming.PAGE, naming.RUNBOOK_EXPORTER_DOWN,
        "The jupyter-slo exporter is down or not scraped",
        "Prometheus has not scraped the exporter {{ $labels.instance }} (job "
        "{{ $labels.job }}) for 5 minutes: every Jupyter SLO and operational alert is blind "
        "until it is back.", for_="5m"),
    OperationalAlert(
        naming.TARGET_DOWN, lambda _: f"{x.UP.name} == 0\n", naming.PAGE,
        naming.RUNBOOK_TARGET_DOWN, "Jupyter server {{ $labels.server }} is unreachable",
        "The exporter {{ $labels.instance }} has not reached the REST API of Jupyter server "
        f"{{{{ $labels.server }}}} for 5 minutes; {x.POLL_ERRORS.name} says why (timeout, "
        "refused, auth, http_5xx).", for_="5m", per_server=True),
    OperationalAlert(
        naming.KERNEL_PROBE_FAILING,
        lambda _: _failing(x.KERNEL_STARTUP_ATTEMPTS.name, x.PROBE_SUCCESS),
        naming.TICKET, naming.RUNBOOK_SLOW_KERNEL_START,
        "Synthetic kernel starts fail on {{ $labels.server }}",
        f"At least half of the synthetic kernel start probes of the last {PROBE_WINDOW} on "
        "{{ $labels.server }} failed or timed out: new kernels may not start for users.",
        per_server=True),
    OperationalAlert(
        naming.SAVE_PROBE_FAILING,
        lambda _: _failing(x.PROBE_SAVES.name, x.SAVE_SUCCESS),
        naming.TICKET, naming.RUNBOOK_SAVE_FAILURES,
        "Synthetic notebook saves fail on {{ $labels.server }}",
        f"At least half of the synthetic save probes of the last {PROBE_WINDOW} on "
        "{{ $labels.server }} failed: users may be unable to save their work.",
        per_server=True),
    OperationalAlert(
        naming.KERNEL_CRASH_SPIKE,
        _crash_spike,
        naming.TICKET, naming.RUNBOOK_KERNEL_CRASH,
        "Kernels {{ $labels.kernel_name }} crash repeatedly on {{ $labels.server }}",
        "{{ $value | humanize }} crashes (automatic restarts and deaths) of "
        f"{{{{ $labels.kernel_name }}}} kernels in {CRASH_SPIKE_WINDOW} on "
        "{{ $labels.server }}: often out-of-memory kills.", per_server=True),
    OperationalAlert(
        naming.PROBE_KERNELS_PILING_UP,
        lambda _: f"max by ({x.LABEL_SERVER}) ({m.PROBE_KERNELS}) >= {PROBE_KERNELS_MAX}\n",
        naming.TICKET, naming.RUNBOOK_PROBE_KERNELS,
        "Probe kernels are piling up on {{ $labels.server }}",
        "{{ $value }} kernels started by the exporter's probes still run on "
        "{{ $labels.server }}: probe clean-up fails, and each holds memory.",
        for_="15m", per_server=True),
    OperationalAlert(
        naming.AUTH_FAILURE_SPIKE,
        lambda _: (f"{_sum(x.LABEL_SERVER, f'rate({x.AUTH_FAILURES.name}[10m])')} * 60"
                   f" >= {AUTH_FAILURES_PER_MINUTE}\n"),
        naming.TICKET, naming.RUNBOOK_AUTH_FAILURES,
        "Many rejected requests (401/403) on {{ $labels.server }}",
        "{{ $labels.server }} answers {{ $value | humanize }} requests a minute with 401 or "
        "403: an expired token, a misconfigured client, or someone guessing.",
        for_="10m", per_server=True),
    OperationalAlert(
        naming.GPU_ERRORS,
        _gpu_errors,
        naming.TICKET, naming.RUNBOOK_GPU_ERRORS,
        "GPU {{ $labels.gpu }} on {{ $labels.instance }} reports hardware errors",
        "GPU {{ $labels.gpu }} ({{ $labels.uuid }}) on {{ $labels.instance }} had "
        "uncorrected ECC or XID errors in the last 10 minutes: kernels using it may crash "
        "or compute wrong results."),
    OperationalAlert(
        naming.GPU_OVERHEATING,
        lambda _: f"max by ({_GPU_BY}) ({m.GPU_TEMPERATURE}) >= {GPU_MAX_CELSIUS}\n",
        naming.TICKET, naming.RUNBOOK_GPU_OVERHEATING,
        "GPU {{ $labels.gpu }} on {{ $labels.instance }} is overheating",
        "GPU {{ $labels.gpu }} ({{ $labels.uuid }}) on {{ $labels.instance }} has been at "
        "{{ $value }} °C for 5 minutes; it throttles, and kernels on it slow down.",
        for_="5m"),
    OperationalAlert(
        naming.NODE_MEMORY_PRESSURE,
        lambda _: (f"({m.NODE_MEMORY_AVAILABLE} / {m.NODE_MEMORY_TOTAL}) < "
                   f"{NODE_MIN_AVAILABLE_RATIO}\nor\n"
                   f"rate({m.NODE_PRESSURE_MEMORY_WAITING}[5m]) > {NODE_MAX_MEMORY_STALL}\n"),
        naming.TICKET, naming.RUNBOOK_NODE_MEMORY,
        "Node {{ $labels.instance }} is short of memory",
        "Node {{ $labels.instance }} has had under 10 % of its memory available, or tasks "
        "stalled on memory over 10 % of the time, for 10 minutes: kernels will be "
        "OOM-killed next.", for_="10m"),
    OperationalAlert(
        naming.NOTEBOOK_SECRETS_FOUND,
        _secrets_found,
        naming.TICKET, naming.RUNBOOK_NOTEBOOK_SECRETS,
        "A saved notebook on {{ $labels.server }} holds a {{ $labels.type }} secret",
        "detect-secrets found {{ $value | humanize }} {{ $labels.type }} finding(s) in "
        f"notebooks saved on {{{{ $labels.server }}}} in the last {SECRETS_WINDOW}. The exporter "
        "keeps neither the secret nor the path: find the notebook with the runbook, then revoke "
        "and rotate the credential.", per_server=True),
)


def _rule(alert: OperationalAlert, config: AlertingConfig) -> Rule:
    dashboard = (link.server_dashboard(config.links) if alert.per_server
                 else link.dashboard_url(config.links, dash.ON_CALL))
    return Rule(alert=alert.name, expr=alert.expr(config), for_=alert.for_,
                labels={**config.operational.labels,
                        slo_naming.LABEL_SEVERITY: alert.severity},
                annotations={"summary": alert.summary, "description": alert.description,
                             link.RUNBOOK_URL: link.runbook_url(config.links, alert.runbook),
                             link.DASHBOARD_URL: dashboard})


def _job_stale_rule(job: NotebookJob, config: AlertingConfig) -> Rule:
    rule = stale_rule(job.name, job.max_age_seconds,
                      runbook_url=link.runbook_url(config.links, naming.RUNBOOK_JOB_STALE))
    return Rule(alert=rule["alert"], expr=rule["expr"], for_=rule.get("for", ""),
                labels={**config.operational.labels, **rule["labels"]},
                annotations={**rule["annotations"],
                             link.DASHBOARD_URL: link.dashboard_url(config.links, dash.ON_CALL)})


def operational_rules(config: AlertingConfig) -> RuleGroup:
    return RuleGroup(naming.OPERATIONAL_GROUP,
                     (*(_rule(a, config) for a in ALERTS),
                      *(_job_stale_rule(job, config) for job in config.jobs)))


def render_operational(config: AlertingConfig, version: str) -> str:
    """The text of `OUTDIR/prometheus/rules/jupyter-slo-operational.yaml`."""
    return (slo_naming.header(version) + f"# routing: {config.source}\n"
            + rule_file([operational_rules(config)]))
