"""Names the alerting half writes: files, receivers, operational alerts and runbooks.

Conventions: alert names are CamelCase and start with `Jupyter` (Prometheus' habit, and what
the SLO specs use for burn-rate alerts); a runbook is a file stem in `alerts/runbooks/`, so
`runbook_url` = the configured base URL + stem + `.md`; receiver names are the severity
(`page`, `ticket`) for the default receivers and `team-<team>-<severity>` for a team's own,
so no team name can collide with a default receiver. `dashboards/` and tests import these.
"""

from __future__ import annotations

from pathlib import Path

from slo import naming as slo_naming

# --- files ---------------------------------------------------------------------------------
CONFIG_NAME = "alerting.yaml"
CONFIG_VERSION = "jupyter-slo/alerting/v1"
ALERTMANAGER_FILE = Path("alertmanager") / "alertmanager.yaml"
OPERATIONAL_FILE = Path("prometheus") / "rules" / "jupyter-slo-operational.yaml"
OPERATIONAL_GROUP = "jupyter-slo-operational"
RUNBOOK_DIR = Path(__file__).with_name("runbooks")

# --- labels --------------------------------------------------------------------------------
LABEL_SEVERITY = slo_naming.LABEL_SEVERITY
LABEL_ID = slo_naming.LABEL_ID
PAGE = slo_naming.SEVERITY_PAGE
TICKET = slo_naming.SEVERITY_TICKET
SEVERITIES = (PAGE, TICKET)
DEFAULT_TEAM_LABEL = "owner"
DEFAULT_EXPORTER_JOB = "jupyter-slo"

# --- receivers -----------------------------------------------------------------------------


def default_receiver(severity: str) -> str:
    return severity


def team_receiver(team: str, severity: str) -> str:
    return f"team-{team}-{severity}"


# --- operational alerts --------------------------------------------------------------------
EXPORTER_DOWN = "JupyterSLOExporterDown"
TARGET_DOWN = "JupyterServerDown"
KERNEL_PROBE_FAILING = "JupyterKernelStartProbeFailing"
SAVE_PROBE_FAILING = "JupyterSaveProbeFailing"
KERNEL_CRASH_SPIKE = "JupyterKernelCrashSpike"
PROBE_KERNELS_PILING_UP = "JupyterProbeKernelsPilingUp"
AUTH_FAILURE_SPIKE = "JupyterAuthFailureSpike"
GPU_ERRORS = "JupyterGPUErrors"
GPU_OVERHEATING = "JupyterGPUOverheating"
NODE_MEMORY_PRESSURE = "JupyterNodeMemoryPressure"
NOTEBOOK_SECRETS_FOUND = "JupyterNotebookSecretsFound"
JOB_STALE = "JupyterNotebookJobStale"  # one rule per job listed under `jobs:` in alerting.yaml

# --- runbooks (file stems in alerts/runbooks/) ---------------------------------------------
RUNBOOK_KERNEL_CRASH = "kernel-crash"
RUNBOOK_SLOW_KERNEL_START = "slow-kernel-start"
RUNBOOK_SAVE_FAILURES = "save-failures"
RUNBOOK_AUTH_FAILURES = "auth-failures"
RUNBOOK_TARGET_DOWN = "target-down"
RUNBOOK_EXPORTER_DOWN = "exporter-down"
RUNBOOK_PROBE_KERNELS = "probe-kernels-piling-up"
RUNBOOK_GPU_ERRORS = "gpu-errors"
RUNBOOK_GPU_OVERHEATING = "gpu-overheating"
RUNBOOK_NODE_MEMORY = "node-memory-pressure"
RUNBOOK_SLO_BURN = "slo-burn"
RUNBOOK_SLO_NO_DATA = "slo-no-data"
RUNBOOK_NOTEBOOK_SECRETS = "notebook-secrets"
RUNBOOK_JOB_STALE = "notebook-job-stale"
RUNBOOKS = (RUNBOOK_KERNEL_CRASH, RUNBOOK_SLOW_KERNEL_START, RUNBOOK_SAVE_FAILURES,
            RUNBOOK_AUTH_FAILURES, RUNBOOK_TARGET_DOWN, RUNBOOK_EXPORTER_DOWN,
            RUNBOOK_PROBE_KERNELS, RUNBOOK_GPU_ERRORS, RUNBOOK_GPU_OVERHEATING,
            RUNBOOK_NODE_MEMORY, RUNBOOK_SLO_BURN, RUNBOOK_SLO_NO_DATA,
            RUNBOOK_NOTEBOOK_SECRETS, RUNBOOK_JOB_STALE)


def runbook_file(stem: str) -> str:
    return f"{stem}.md"
