"""Dashboard titles, UIDs, file names, tags and variable names: one place, imported everywhere.

UIDs are derived from the dashboard's short name (`uid("detail")` -> `jupyter-slo-detail`),
never random and never numbered, so a regenerated dashboard replaces the old one in Grafana,
links keep working, and `alerts/` can build a page's `dashboard_url` from `detail_path()`
without importing the dashboards themselves. Grafana caps a UID at 40 characters; `uid()`
refuses longer ones instead of truncating into a collision.
"""

from __future__ import annotations

import re
from urllib.parse import quote

PRODUCT = "jupyter-slo"
TAG = PRODUCT
MAX_UID = 40

# Short names: the UID and file name derive from these, the title from TITLES.
OVERVIEW = "overview"
DETAIL = "detail"
EXECUTIVE = "executive"
ON_CALL = "on-call"
DEBUG = "debug"
ALL = (OVERVIEW, DETAIL, EXECUTIVE, ON_CALL, DEBUG)
TITLES = {OVERVIEW: "SLO overview", DETAIL: "SLO detail", EXECUTIVE: "Executive",
          ON_CALL: "On-call", DEBUG: "Debug"}

PROVIDER_FILE = f"{PRODUCT}-provider.yaml"
PROVIDER_NAME = PRODUCT
FOLDER = "Jupyter SLO"
FOLDER_UID = PRODUCT

# Dashboard variables (Grafana template variables): `$name` in queries, `var-name` in URLs.
VAR_DATASOURCE = "datasource"
VAR_SERVICE = "service"
VAR_SLO = "slo"
VAR_WINDOW = "window"
VAR_SERVER = "server"
VAR_KERNEL_NAME = "kernel_name"
VAR_TOPK = "topk"
VAR_CPU_PRICE = "cpu_hour_price"
VAR_MEMORY_PRICE = "memory_gib_hour_price"
VAR_GPU_PRICE = "gpu_hour_price"

_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def slug(name: str) -> str:
    """Lower-case words joined by `-`: the part of a UID or URL a name turns into."""
    return _NOT_SLUG.sub("-", name.lower()).strip("-")


def uid(name: str) -> str:
    value = f"{PRODUCT}-{slug(name)}"
    if len(value) > MAX_UID:
        raise ValueError(f"dashboard UID {value!r} is longer than Grafana's {MAX_UID} characters")
    return value


def title(name: str) -> str:
    return f"Jupyter SLO / {TITLES.get(name, name)}"


def file_name(name: str) -> str:
    return f"{uid(name)}.json"


def path(name: str) -> str:
    """The dashboard's path below Grafana's root URL (`/d/<uid>/<slug>`)."""
    return f"/d/{uid(name)}/{slug(title(name))}"


def detail_path(slo_id: str) -> str:
    """Where an SLO's page or ticket should send the reader: the detail dashboard on that SLO.

    Relative to Grafana's root URL; `alerts/` prefixes the team's Grafana URL for
    `dashboard_url` annotations.
    """
    return f"{path(DETAIL)}?var-{VAR_SLO}={quote(slo_id, safe='')}"
