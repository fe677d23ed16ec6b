"""Reading jupyter-scheduler's jobs list from a server (see `exporter.scheduler_jobs`).

One request per read: the `MAX_ITEMS` runs updated last, so a run that just finished is
always in the page. A 404 means the extension is not there; the caller then asks again only
every `ABSENT_EVERY`-th time, so servers without it cost one cheap request now and then.
"""

from __future__ import annotations

from exporter.scheduler_jobs import MAX_ITEMS, SchedulerJob, parse_jobs
from exporter.sources.client import JupyterClient, UpstreamError

ABSENT_EVERY = 20
JOBS_PATH = "scheduler/jobs"


async def read_jobs(client: JupyterClient) -> tuple[SchedulerJob, ...] | None:
    """The newest runs, or None when the server has no scheduler (404). Other failures raise
    (UpstreamError, BadPayload, or the client's network errors)."""
    try:
        payload = await client.get_json(JOBS_PATH, query={
            "sort_by": "desc(update_time)", "max_items": str(MAX_ITEMS)})
    except UpstreamError as exc:
        if exc.status == 404:
            return None
        raise
    return parse_jobs(payload)
