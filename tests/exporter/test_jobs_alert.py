"""The "job stale" rule: valid for promtool, and it fires for exactly the stale jobs.

`promtool test rules` evaluates the generated rule against series written here: a job that
succeeds every minute, one whose last success is old, one that only ever failed.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from exporter.jobs import alert
from exporter.jobs import naming as n

PROMTOOL = "/usr/bin/promtool"


def _promtool(*args: str) -> None:
    done = subprocess.run([PROMTOOL, *args], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.real
@pytest.mark.timeout(30)
def test_stale_rule_fires_for_old_and_never_successful_jobs_only(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(alert.render({"fresh": 3600, "stale": 3600, "never": 3600}, for_="5m"))
    _promtool("check", "rules", str(rules))
    last, runs = n.JOB_LAST_SUCCESS.name, n.JOB_RUNS.name
    series = [
        # a success every minute: always within the hour
        {"series": f'{last}{{notebook_job="fresh"}}', "values": "0+60x240"},
        {"series": f'{runs}{{notebook_job="fresh",result="success"}}', "values": "1+1x240"},
        # last success at t=0, then only failures
        {"series": f'{last}{{notebook_job="stale"}}', "values": "0x240"},
        {"series": f'{runs}{{notebook_job="stale",result="failure"}}', "values": "0+1x240"},
        # never a success
        {"series": f'{runs}{{notebook_job="never",result="failure"}}', "values": "1+1x240"},
        {"series": f'{runs}{{notebook_job="never",result="success"}}', "values": "0x240"},
    ]

    def firing(*jobs: str) -> list[dict[str, object]]:
        return [{"exp_labels": {"sloth_severity": "ticket", "notebook_job": job},
                 "exp_annotations": alert.stale_rule(job, 3600)["annotations"]}
                for job in jobs]

    tests = {"rule_files": [str(rules)], "evaluation_interval": "1m", "tests": [{
        "interval": "1m", "input_series": series,
        "alert_rule_test": [
            {"eval_time": "30m", "alertname": n.ALERT_JOB_STALE, "exp_alerts": firing("never")},
            {"eval_time": "62m", "alertname": n.ALERT_JOB_STALE, "exp_alerts": firing("never")},
            {"eval_time": "70m", "alertname": n.ALERT_JOB_STALE,
             "exp_alerts": firing("never", "stale")},
        ]}]}
    test_file = tmp_path / "test.yaml"
    test_file.write_text(yaml.safe_dump(tests, sort_keys=False))
    _promtool("test", "rules", str(test_file))


@pytest.mark.parametrize(("job", "max_age"), [
    pytest.param('x"} or vector(1) #', 3600, id="a job name that would inject PromQL"),
    pytest.param("reports/nightly.ipynb", 3600, id="a notebook path as job name"),
    pytest.param("nightly", 0, id="a zero max age"),
    pytest.param("nightly", -5, id="a negative max age"),
])
def test_bad_input_is_refused(job: str, max_age: float) -> None:
    with pytest.raises(ValueError):
        alert.stale_rule(job, max_age)
