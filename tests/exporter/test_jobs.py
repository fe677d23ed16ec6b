"""`jupyter-slo job run` as a real process: exit codes, the textfile it writes, concurrency.

The wrapper runs as users run it (`python -m exporter.jobs`, a subprocess), against real
commands: papermill executing a notebook made here, shells that exit, sleep or get killed.
The concurrency tests use real processes too, so a missing lock shows as lost counts.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from exporter.jobs import naming as n
from exporter.jobs import textfile
from exporter.jobs.state import Outcome
from tests.exporter.metrics import value
from tests.exporter.servers import wait_until

pytestmark = pytest.mark.real
REPO = Path(__file__).resolve().parents[2]
PROMTOOL = "/usr/bin/promtool"


def job_run(tmp_dir: Path, job: str, *command: str, extra: tuple[str, ...] = (),
            timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "exporter.jobs", "run", "--job", job,
                           "--textfile-dir", str(tmp_dir), *extra, "--", *command],
                          capture_output=True, text=True, timeout=timeout, cwd=REPO,
                          stdin=subprocess.DEVNULL)


def prom_text(directory: Path) -> str:
    return (directory / n.TEXTFILE_NAME).read_text()


def runs(text: str, job: str, result: str) -> float | None:
    return value(text, n.JOB_RUNS.name, notebook_job=job, result=result)


def promtool_ok(text: str) -> None:
    lint = subprocess.run([PROMTOOL, "check", "metrics"], input=text.encode(),
                          capture_output=True, timeout=20)
    assert lint.returncode == 0, lint.stdout.decode() + lint.stderr.decode()


def make_notebook(path: Path, source: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x = 6 * 7"), nbformat.v4.new_code_cell(source)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, path)
    return path


def papermill(notebook: Path) -> tuple[str, ...]:
    return (sys.executable, "-m", "papermill", "-k", "python3", "--no-progress-bar",
            str(notebook), str(notebook.with_suffix(".out.ipynb")))


@pytest.mark.timeout(120)
def test_papermill_success_and_failing_cell_run_concurrently_into_one_textfile(
        tmp_path: Path) -> None:
    ok_nb = make_notebook(tmp_path / "ok.ipynb", "assert x == 42")
    bad_nb = make_notebook(tmp_path / "bad.ipynb", "raise ValueError('planted failure')")
    out_dir = tmp_path / "textfile"
    out_dir.mkdir()
    before = time.time()
    cmd = [sys.executable, "-m", "exporter.jobs", "run", "--textfile-dir", str(out_dir)]
    procs = {job: subprocess.Popen([*cmd, "--job", job, "--", *papermill(nb)], cwd=REPO,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL)
             for job, nb in (("nightly-ok", ok_nb), ("nightly-bad", bad_nb))}
    codes = {job: proc.wait(timeout=110) for job, proc in procs.items()}
    logs = {job: proc.stdout.read().decode() for job, proc in procs.items()}  # type: ignore[union-attr]
    assert codes == {"nightly-ok": 0, "nightly-bad": 1}, logs
    assert "planted failure" in logs["nightly-bad"]  # papermill's own report, passed through
    text = prom_text(out_dir)
    promtool_ok(text)
    assert runs(text, "nightly-ok", "success") == 1
    assert runs(text, "nightly-ok", "failure") == 0
    assert runs(text, "nightly-bad", "success") == 0
    assert runs(text, "nightly-bad", "failure") == 1
    last_ok = value(text, n.JOB_LAST_SUCCESS.name, notebook_job="nightly-ok")
    assert last_ok is not None and before < last_ok <= time.time()
    assert value(text, n.JOB_LAST_SUCCESS.name, notebook_job="nightly-bad") is None
    for job in codes:
        duration = value(text, n.JOB_DURATION.name, notebook_job=job)
        assert duration is not None and 0.3 < duration < 110
    # a later failure of the good job keeps its last success time and adds one failure
    bad_again = job_run(out_dir, "nightly-ok", *papermill(bad_nb))
    assert bad_again.returncode == 1
    text = prom_text(out_dir)
    assert runs(text, "nightly-ok", "failure") == 1
    assert runs(text, "nightly-ok", "success") == 1
    assert value(text, n.JOB_LAST_SUCCESS.name, notebook_job="nightly-ok") == last_ok


@pytest.mark.timeout(60)
@pytest.mark.parametrize(("command", "extra", "code", "result"), [
    pytest.param(("sh", "-c", "exit 0"), (), 0, "success", id="exit 0 is a success"),
    pytest.param(("sh", "-c", "exit 3"), (), 3, "failure",
                 id="a non-zero exit passes through and is a failure"),
    pytest.param(("sh", "-c", "kill -9 $$"), (), 137, "failure",
                 id="a SIGKILLed command reports 128+9 like a shell and is a failure"),
    pytest.param(("sleep", "30"), ("--timeout", "1s", "--kill-grace", "2s"), 124, "failure",
                 id="a timeout exits 124 like coreutils timeout and is a failure"),
    pytest.param(("sh", "-c", "trap '' TERM; sleep 30"), ("--timeout", "1s", "--kill-grace",
                                                            "1s"), 124, "failure",
                 id="a command ignoring SIGTERM is SIGKILLed after the grace"),
    pytest.param(("/nonexistent/command",), (), 127, "failure",
                 id="a missing command exits 127 and is a failure"),
])
def test_exit_code_passes_through_and_result_is_recorded(
        tmp_path: Path, command: tuple[str, ...], extra: tuple[str, ...], code: int,
        result: str) -> None:
    t0 = time.monotonic()
    done = job_run(tmp_path, "j", *command, extra=extra)
    assert done.returncode == code, done.stderr
    assert time.monotonic() - t0 < 20
    text = prom_text(tmp_path)
    other = "failure" if result == "success" else "success"
    assert runs(text, "j", result) == 1
    assert runs(text, "j", other) == 0


@pytest.mark.timeout(60)
def test_sigterm_to_the_wrapper_stops_the_whole_job_and_counts_a_failure(
        tmp_path: Path) -> None:
    pid_file = tmp_path / "grandchild.pid"
    script = f"sleep 30 & echo $! > {pid_file}; wait"
    proc = subprocess.Popen([sys.executable, "-m", "exporter.jobs", "run", "--job", "stopped",
                             "--textfile-dir", str(tmp_path), "--", "sh", "-c", script],
                            cwd=REPO, stdin=subprocess.DEVNULL)
    grandchild = int(wait_until(lambda: pid_file.read_text().strip(), 20, "the job's child"))
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 128 + signal.SIGTERM
    assert runs(prom_text(tmp_path), "stopped", "failure") == 1

    def gone() -> bool:
        try:
            os.kill(grandchild, 0)
        except ProcessLookupError:
            return True
        return False
    wait_until(gone, 10, "the job's grandchild to be stopped too")


def _hammer(args: tuple[str, int, int]) -> None:
    directory, worker, count = args
    for i in range(count):
        code = 0 if (worker + i) % 3 else 1
        textfile.record(Path(directory), Outcome(f"job{worker % 2}", code, 0.01, time.time()))


@pytest.mark.timeout(60)
def test_concurrent_writers_lose_no_count_and_never_expose_a_partial_file(
        tmp_path: Path) -> None:
    workers, each = 4, 40
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(workers) as pool:
        pool.map(_hammer, [(str(tmp_path), w, each) for w in range(workers)])
    text = prom_text(tmp_path)
    promtool_ok(text)
    total = sum(runs(text, f"job{j}", r) or 0 for j in (0, 1) for r in n.RESULTS)
    assert total == workers * each
    expected_failures = sum(1 for w in range(workers) for i in range(each) if (w + i) % 3 == 0)
    assert sum(runs(text, f"job{j}", "failure") or 0 for j in (0, 1)) == expected_failures
    assert sorted(p.name for p in tmp_path.iterdir()) == [f".{n.TEXTFILE_NAME}.lock",
                                                          n.TEXTFILE_NAME]
    assert oct((tmp_path / n.TEXTFILE_NAME).stat().st_mode & 0o777) == "0o644"


@pytest.mark.timeout(60)
def test_concurrent_wrapper_processes_of_the_same_job_all_count(tmp_path: Path) -> None:
    cmd = [sys.executable, "-m", "exporter.jobs", "run", "--job", "same",
           "--textfile-dir", str(tmp_path), "--", "sh", "-c"]
    procs = [subprocess.Popen([*cmd, f"sleep 0.5; exit {i % 2}"], cwd=REPO,
                              stdin=subprocess.DEVNULL) for i in range(6)]
    assert sorted(p.wait(timeout=50) for p in procs) == [0, 0, 0, 1, 1, 1]
    text = prom_text(tmp_path)
    assert runs(text, "same", "success") == 3
    assert runs(text, "same", "failure") == 3


@pytest.mark.timeout(30)
def test_unreadable_old_file_is_kept_aside_and_counting_restarts(tmp_path: Path) -> None:
    (tmp_path / n.TEXTFILE_NAME).write_text("this is { not exposition\n")
    done = job_run(tmp_path, "j", "true")
    assert done.returncode == 0
    assert "counts reset" in done.stderr
    assert (tmp_path / f"{n.TEXTFILE_NAME}.corrupt").read_text().startswith("this is")
    assert runs(prom_text(tmp_path), "j", "success") == 1


@pytest.mark.timeout(30)
@pytest.mark.parametrize("args", [
    pytest.param(["run", "--job", "j", "--textfile-dir", "{dir}"], id="no command after --"),
    pytest.param(["run", "--job", "nb/path.ipynb", "--textfile-dir", "{dir}", "--", "{touch}"],
                 id="a job name that looks like a path is refused"),
    pytest.param(["run", "--job", "j", "--", "{touch}"], id="no sink given"),
    pytest.param(["run", "--job", "j", "--textfile-dir", "{dir}", "--pushgateway",
                  "http://127.0.0.1:1", "--", "{touch}"], id="two sinks given"),
    pytest.param(["run", "--job", "j", "--textfile-dir", "{dir}/missing", "--", "{touch}"],
                 id="a textfile dir that does not exist"),
    pytest.param(["run", "--job", "j", "--pushgateway", "http://u:secretpw@127.0.0.1:1",
                  "--", "{touch}"], id="a Pushgateway URL with credentials"),
    pytest.param(["run", "--job", "j", "--textfile-dir", "{dir}", "--timeout", "soon", "--",
                  "{touch}"], id="an unparsable timeout"),
])
def test_usage_errors_exit_2_and_run_nothing(tmp_path: Path, args: list[str]) -> None:
    marker = tmp_path / "ran"
    touch = [sys.executable, "-c", f"open({str(marker)!r}, 'w')"]
    argv: list[str] = []
    for arg in args:
        argv += touch if arg == "{touch}" else [arg.replace("{dir}", str(tmp_path))]
    done = subprocess.run([sys.executable, "-m", "exporter.jobs", *argv], capture_output=True,
                          text=True, timeout=20, cwd=REPO)
    assert done.returncode == 2, done.stderr
    assert "usage error" in done.stderr
    assert "secretpw" not in done.stderr
    assert "Traceback" not in done.stderr
    assert not marker.exists()
    assert not (tmp_path / n.TEXTFILE_NAME).exists()
