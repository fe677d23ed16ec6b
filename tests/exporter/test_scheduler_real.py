"""jupyter-scheduler on a real Jupyter Server: two real runs, read back by the exporter.

The scheduler runs each job's notebook in a subprocess through nbconvert with the server's
python3 kernelspec; a notebook needs kernelspec metadata or the scheduler refuses it. Its
database lives in the server's own JUPYTER_DATA_DIR, which must exist before it starts.
"""

from __future__ import annotations

import time
from pathlib import Path

import nbformat
import pytest

from exporter import naming
from tests.exporter.metrics import value
from tests.exporter.servers import make_server, start_exporter, wait_until

pytestmark = pytest.mark.real
META = {"kernelspec": {"name": "python3", "display_name": "python3", "language": "python"}}


def _write(path: Path, source: str) -> None:
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)],
                                            metadata=META), path)


@pytest.mark.timeout(90)
def test_a_completed_and_a_failed_scheduler_run_become_job_series(tmp_path: Path) -> None:
    server = make_server(tmp_path)
    (tmp_path / "data").mkdir()
    _write(server.root / "ok.ipynb", "print('fine')")
    _write(server.root / "bad.ipynb", "raise ValueError('boom')")
    server.start()
    exp = None
    try:
        token = tmp_path / "token"
        token.write_text(server.token)
        exp = start_exporter([f"--jupyter-url=dev={server.url}", f"--jupyter-token-file={token}",
                              "--poll-interval=1s", "--probe-interval=0"],
                             tmp_path / "exporter.log")
        wait_until(lambda: value(exp.metrics_text(), naming.UP.name) == 1, 30, "a first poll")
        time.sleep(2)  # the scheduler's (empty) job list is the baseline
        started = time.time()
        for name, path in (("ok-job", "ok.ipynb"), ("bad-job", "bad.ipynb")):
            status, body = server.request("POST", "scheduler/jobs", {
                "input_uri": path, "input_filename": path, "name": name,
                "runtime_environment_name": "python", "output_formats": ["ipynb"]})
            assert status == 200, body
        runs = naming.SCHEDULER_JOB_RUNS.name

        def finished() -> str | None:
            text = exp.metrics_text()
            done = (value(text, runs, notebook_job="ok-job", result="success") == 1
                    and value(text, runs, notebook_job="bad-job", result="failure") == 1)
            return text if done else None

        text = wait_until(finished, 60, "both runs in the exporter", 0.5)
        assert value(text, runs, notebook_job="ok-job", result="failure") == 0
        assert value(text, runs, notebook_job="bad-job", result="success") == 0
        last = value(text, naming.SCHEDULER_JOB_LAST_SUCCESS.name, notebook_job="ok-job")
        assert last is not None and started - 1 <= last <= time.time() + 1
        assert value(text, naming.SCHEDULER_JOB_LAST_SUCCESS.name, notebook_job="bad-job") \
            is None
        for job in ("ok-job", "bad-job"):
            seconds = value(text, naming.SCHEDULER_JOB_DURATION.name, notebook_job=job)
            assert seconds is not None and 0 < seconds < 60
        assert "boom" not in text and "boom" not in exp.log_text()  # status_message unread
    finally:
        if exp is not None:
            exp.stop()
        server.stop()
