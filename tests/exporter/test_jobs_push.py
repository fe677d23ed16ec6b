"""`job run --pushgateway` against a stand-in Pushgateway on 127.0.0.1.

The stand-in implements the part of the Pushgateway API the wrapper uses, with the real
semantics: PUT replaces a group, POST replaces the pushed families within it, GET /metrics
shows every group's samples with the grouping labels added (plus `instance=""`, as the real
one does). Pushgateway itself is not packaged for this machine.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote

import pytest
from prometheus_client.parser import text_string_to_metric_families

from exporter.jobs import naming as n
from tests.exporter.metrics import value

pytestmark = pytest.mark.real
REPO = Path(__file__).resolve().parents[2]
Group = tuple[tuple[str, str], ...]


@dataclass
class StandIn:
    groups: dict[Group, dict[str, tuple[str, list[tuple[str, dict[str, str], float]]]]] = \
        field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def expose(self) -> str:
        families: dict[str, tuple[str, list[str]]] = {}
        for group, fams in self.groups.items():
            for name, (kind, samples) in fams.items():
                lines = families.setdefault(name, (kind, []))[1]
                for sample_name, labels, val in samples:
                    merged = {"instance": "", **labels, **dict(group)}
                    body = ",".join(f'{k}="{v}"' for k, v in sorted(merged.items()))
                    lines.append(f"{sample_name}{{{body}}} {val!r}")
        out = []
        for name, (kind, lines) in families.items():
            out += [f"# TYPE {name} {kind}", *lines]
        return "\n".join(out) + "\n"


def _handler(state: StandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def _group(self) -> Group | None:
            parts = self.path.split("?", 1)[0].strip("/").split("/")
            if len(parts) < 3 or parts[0] != "metrics" or len(parts) % 2 == 0:
                return None
            return tuple((unquote(parts[i]), unquote(parts[i + 1]))
                         for i in range(1, len(parts), 2))

        def _push(self, replace_all: bool) -> None:
            group = self._group()
            body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
            with state.lock:
                state.requests.append((self.command, self.path))
                if group is None:
                    self.send_response(400)
                    self.end_headers()
                    return
                fams = {f.name: (f.type, [(s.name, s.labels, s.value) for s in f.samples])
                        for f in text_string_to_metric_families(body)}
                current = {} if replace_all else state.groups.get(group, {})
                state.groups[group] = {**current, **fams}
            self.send_response(200)
            self.end_headers()

        def do_PUT(self) -> None:
            self._push(replace_all=True)

        def do_POST(self) -> None:
            self._push(replace_all=False)

        def do_GET(self) -> None:
            with state.lock:
                state.requests.append(("GET", self.path))
                data = state.expose().encode()
            self.send_response(200 if self.path == "/metrics" else 404)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


@pytest.fixture()
def gateway() -> Iterator[tuple[str, StandIn]]:
    state = StandIn()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", state
    server.shutdown()
    server.server_close()


def job_run(url: str, job: str, code: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "exporter.jobs", "run", "--job", job,
                           "--pushgateway", url, "--", "sh", "-c", f"exit {code}"],
                          capture_output=True, text=True, timeout=30, cwd=REPO)


@pytest.mark.timeout(60)
def test_runs_accumulate_per_job_group_and_a_failure_keeps_the_last_success(
        gateway: tuple[str, StandIn]) -> None:
    url, state = gateway
    assert job_run(url, "report", 0).returncode == 0
    first = value(state.expose(), n.JOB_LAST_SUCCESS.name, notebook_job="report")
    assert first is not None
    assert job_run(url, "report", 4).returncode == 4
    assert job_run(url, "report", 0).returncode == 0
    assert job_run(url, "other", 1).returncode == 1
    text = state.expose()
    for job, result, count in (("report", "success", 2), ("report", "failure", 1),
                               ("other", "success", 0), ("other", "failure", 1)):
        assert value(text, n.JOB_RUNS.name, job=n.PUSH_JOB, notebook_job=job,
                     result=result) == count, (job, result)
    last = value(text, n.JOB_LAST_SUCCESS.name, notebook_job="report")
    assert last is not None and last >= first
    assert value(text, n.JOB_LAST_SUCCESS.name, notebook_job="other") is None
    assert value(text, n.JOB_DURATION.name, notebook_job="other") is not None
    pushes = [r for r in state.requests if r[0] != "GET"]
    assert pushes[0] == ("PUT", f"/metrics/job/{n.PUSH_JOB}/{n.LABEL_NOTEBOOK_JOB}/report")
    assert len(pushes) == 4


@pytest.mark.timeout(60)
@pytest.mark.parametrize(("command_code", "wrapper_code"), [
    pytest.param(0, 2, id="a success that cannot be recorded exits 2, so the scheduler sees it"),
    pytest.param(5, 5, id="a failure that cannot be recorded keeps its own exit code"),
])
def test_unreachable_gateway(command_code: int, wrapper_code: int) -> None:
    from tests.exporter.servers import free_port

    done = job_run(f"http://127.0.0.1:{free_port()}", "j", command_code)
    assert done.returncode == wrapper_code
    assert "not recorded" in done.stderr
    assert "Traceback" not in done.stderr
