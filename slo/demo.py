"""`jupyter-slo demo`: the whole chain on one machine, thrown away on exit.

A Jupyter Server with a throw-away token in a temp dir, the exporter watching it, and, when
`prometheus` and `prometheus-alertmanager` are on PATH, both loaded with rules and routing
generated from the demo's SLO spec plus a webhook receiver that prints every notification.
The SLOs use a tiny window catalogue (a 1h period, 10s..10m windows; `TINY_WINDOWS`), so a
fault pages within a minute instead of the hours a 30d catalogue needs; `--inject crash`
SIGKILLs a kernel's process a few times to show one.

Conventions: everything binds 127.0.0.1 on free ports; the token reaches the server through
its environment and the exporter through a 0600 file, never a command line or the output;
children run in their own session and are stopped by PID (SIGTERM, then SIGKILL) on Ctrl-C,
SIGTERM, `--duration` or an error, after which the temp dir is removed. Exit codes: 0 after a
clean stop (or the page with `--exit-on-page`), 1 when a part failed or no page came in time,
2 for usage errors and a missing Jupyter Server.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import secrets
import shutil
import signal
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from alerts import localstack
from alerts import naming as alert_naming
from alerts.config import AlertingConfig, Links, parse_config
from alerts.operational import render_operational
from alerts.routing import render_alertmanager
from alerts.slorules import render_slo_rules
from exporter import naming as metrics
from slo import duration
from slo.generate.chain import Options
from slo.pipeline import load_and_validate
from slo.plugins import PluginRegistry
from slo.version import TAG
from slo.windows import load_catalogue

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
DEMO_PERIOD = "1h"
POLL_INTERVAL = "1s"
EVAL_INTERVAL = "1s"
PROBE_INTERVAL = "30s"
CRASH_KILLS = 3
START_TIMEOUT = 90.0

TINY_WINDOWS = f"""\
# A demo catalogue: a {DEMO_PERIOD} SLO period with second- and minute-scale windows, so a fault
# pages within a minute. Burn factors are share x period / long window: 6, 3, 1.2, 0.6.
apiVersion: sloth.slok.dev/v1
kind: AlertWindows
spec:
  sloPeriod: {DEMO_PERIOD}
  page:
    quick: {{errorBudgetPercent: 10, shortWindow: 10s, longWindow: 1m}}
    slow: {{errorBudgetPercent: 15, shortWindow: 30s, longWindow: 3m}}
  ticket:
    quick: {{errorBudgetPercent: 10, shortWindow: 1m, longWindow: 5m}}
    slow: {{errorBudgetPercent: 10, shortWindow: 2m, longWindow: 10m}}
"""

DEMO_SPEC = f"""\
version: jupyter-slo/v1
service: jupyter-demo
labels:
  owner: demo
period: {DEMO_PERIOD}
slos:
  - name: kernel-crashes
    description: "99 % of kernel lifecycles end without a crash."
    objective: 99
    sli:
      preset: {{name: kernel-crashes}}
    alerting:
      name: JupyterKernelCrashBudgetBurn
      annotations:
        summary: "Kernels are crashing."
  - name: kernel-readiness
    description: "95 % of kernels answer kernel_info within 30 s."
    objective: 95
    sli:
      preset: {{name: kernel-startup, threshold: 30}}
    alerting:
      name: JupyterKernelReadinessBudgetBurn
      annotations:
        summary: "Kernels start too slowly or fail to start."
  - name: server-availability
    description: "The Jupyter server's REST API answers 99 % of polls."
    objective: 99
    sli:
      preset: {{name: server-availability}}
    alerting:
      name: JupyterServerAvailabilityBudgetBurn
      annotations:
        summary: "The Jupyter server is unreachable."
"""

INSTALL_HINT = """\
Prometheus and Alertmanager were not found on PATH, so no alert can fire. To see the whole chain:
  Debian/Ubuntu: sudo apt-get install --no-install-recommends prometheus prometheus-alertmanager
  elsewhere:     https://prometheus.io/download/ (put `prometheus` and `alertmanager` on PATH)
Running the Jupyter Server and the exporter only."""


class Stopped(Exception):
    """SIGTERM arrived: unwind like Ctrl-C."""


def alerting_yaml(webhook: str, runbook_base_url: str) -> str:
    """The demo's routing: both severities to the printing webhook, paced for a demo."""
    return f"""\
version: {alert_naming.CONFIG_VERSION}
links: {{runbook_base_url: "{runbook_base_url}"}}
receivers:
  page: [{{webhook: {{url: "{webhook}page", send_resolved: true}}}}]
  ticket: [{{webhook: {{url: "{webhook}ticket", send_resolved: true}}}}]
timing:
  page: {{group_wait: 1s, group_interval: 1m, repeat_interval: 1h}}
  ticket: {{group_wait: 10s, group_interval: 1m, repeat_interval: 1h}}
"""


def runbook_base() -> str:
    """Runbooks as local files when this is a source checkout, else the documented default."""
    if alert_naming.RUNBOOK_DIR.is_dir():
        return alert_naming.RUNBOOK_DIR.resolve().as_uri() + "/"
    return Links().runbook_base_url


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jupyter-slo demo",
        description="Run a throw-away Jupyter Server, the exporter and (when on PATH) "
                    "Prometheus + Alertmanager with generated rules and routing. Ctrl-C stops "
                    "everything and removes the temp files.")
    parser.add_argument("--inject", choices=["crash"],
                        help="crash: SIGKILL a kernel's process a few times, to see a page")
    parser.add_argument("--duration", type=float, default=0, metavar="SECONDS",
                        help="stop after this long (default: run until Ctrl-C)")
    parser.add_argument("--exit-on-page", action="store_true",
                        help="stop (exit 0) when the first page arrives; exit 1 if none came "
                             "within --duration")
    return parser


def say(text: str) -> None:
    print(f"[demo] {text}", flush=True)


@dataclass
class Demo:
    """Everything the demo started, so one `close()` can undo it in order."""

    root: Path
    processes: list[localstack.Process] = field(default_factory=list)
    sink: localstack.WebhookSink | None = None

    def add(self, process: localstack.Process) -> localstack.Process:
        self.processes.append(process)
        say(f"{process.name} running (pid {process.proc.pid})")
        return process

    def close(self) -> None:
        for process in reversed(self.processes):
            process.stop()
        if self.sink is not None:
            self.sink.stop()
        shutil.rmtree(self.root, ignore_errors=True)
        say(f"stopped {len(self.processes)} processes, removed {self.root}")

    def dead(self) -> localstack.Process | None:
        return next((p for p in self.processes if p.proc.poll() is not None), None)


# --- Jupyter Server ------------------------------------------------------------------------


def _jupyter_env(root: Path, token: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "JPY"))}
    env.update(JUPYTER_TOKEN=token, JUPYTER_RUNTIME_DIR=str(root / "runtime"),
               JUPYTER_PATH=str(root / "share"), JUPYTER_CONFIG_DIR=str(root / "config"),
               JUPYTER_DATA_DIR=str(root / "data"), IPYTHONDIR=str(root / "ipython"),
               PYTHONUNBUFFERED="1")
    return env


def _write_kernelspec(share: Path) -> None:
    """python3 from this interpreter, whatever `python` on PATH is."""
    spec = share / "kernels" / "python3"
    spec.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(json.dumps(
        {"argv": argv, "display_name": "Python 3 (demo)", "language": "python"}))


@dataclass(frozen=True)
class Jupyter:
    url: str
    token: str

    def request(self, method: str, path: str, body: Any = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method)
        req.add_header("Authorization", f"token {self.token}")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(req, timeout=30) as resp:
            raw = resp.read()
        return json.loads(raw) if raw.strip() else None


def start_jupyter(demo: Demo) -> Jupyter:
    token = secrets.token_hex(24)
    for part in ("root", "runtime", "share"):
        (demo.root / part).mkdir(parents=True, exist_ok=True)
    _write_kernelspec(demo.root / "share")
    port = localstack.free_port()
    cmd = [sys.executable, "-m", "jupyter_server", f"--port={port}", "--ip=127.0.0.1",
           "--ServerApp.port_retries=0", "--no-browser", f"--ServerApp.root_dir={demo.root}/root",
           "--KernelRestarter.time_to_dead=0.5"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--ServerApp.allow_root=True")
    say("starting Jupyter Server")
    process = demo.add(localstack.spawn("Jupyter Server", cmd, demo.root / "jupyter.log",
                                        env=_jupyter_env(demo.root, token)))
    jupyter = Jupyter(f"http://127.0.0.1:{port}/", token)
    localstack.wait_for(process, lambda: jupyter.request("GET", "api/status"), START_TIMEOUT,
                        retry_on=(OSError, ValueError))
    token_file = demo.root / "jupyter-token"
    token_file.write_text(token)
    token_file.chmod(0o600)
    say(f"Jupyter Server: {jupyter.url} (token in {token_file})")
    return jupyter


# --- exporter ------------------------------------------------------------------------------


def _sample(text: str, name: str) -> float | None:
    match = re.search(rf"^{re.escape(name)}(?:{{[^}}]*}})? (\S+)$", text, re.M)
    return float(match.group(1)) if match else None


def start_exporter(demo: Demo, jupyter: Jupyter) -> str:
    port = localstack.free_port()
    cmd = [sys.executable, "-m", "exporter", f"--web.listen-address=127.0.0.1:{port}",
           f"--jupyter-url=demo={jupyter.url}",
           f"--jupyter-token-file={demo.root / 'jupyter-token'}",
           f"--poll-interval={POLL_INTERVAL}", f"--probe-interval={PROBE_INTERVAL}"]
    env = {k: v for k, v in os.environ.items() if k != "JUPYTER_TOKEN"}
    say("starting the exporter")
    process = demo.add(localstack.spawn("exporter", cmd, demo.root / "exporter.log", env=env))
    url = f"http://127.0.0.1:{port}/metrics"

    def ready() -> bool:
        text = localstack.get(url).decode()
        return (_sample(text, metrics.UP.name) == 1
                and _sample(text, metrics.EVENT_STREAM_UP.name) == 1)

    localstack.wait_for(process, ready, START_TIMEOUT, "the exporter",
                        retry_on=(OSError, ValueError))
    say(f"exporter metrics: {url}")
    return f"127.0.0.1:{port}"


# --- Prometheus + Alertmanager -------------------------------------------------------------


def write_rules(root: Path, config: AlertingConfig) -> list[Path]:
    """The demo spec's rules (with links) and the operational rules, as generate writes them."""
    windows = root / "windows"
    windows.mkdir(exist_ok=True)
    (windows / "tiny.yaml").write_text(TINY_WINDOWS)
    spec = root / "specs" / "demo.yaml"
    spec.parent.mkdir(exist_ok=True)
    spec.write_text(DEMO_SPEC)
    catalogue = load_catalogue(windows)
    period = duration.parse(DEMO_PERIOD)
    loaded = load_and_validate([spec], PluginRegistry(), catalogue, period)
    if not loaded.ok:
        raise RuntimeError("\n".join(str(p) for p in loaded.problems))
    options = Options(version=TAG, catalogue=catalogue, default_period_ms=period)
    rules = root / "rules"
    rules.mkdir(exist_ok=True)
    out = []
    for spec_file in loaded.files:
        path = rules / spec_file.path.name
        path.write_text(render_slo_rules(spec_file, options, config.links))
        out.append(path)
    operational = rules / alert_naming.OPERATIONAL_FILE.name
    operational.write_text(render_operational(config, TAG))
    return [*out, operational]


def start_alerting(demo: Demo, binaries: localstack.Binaries, exporter: str) -> None:
    demo.sink = localstack.WebhookSink(on_notification=lambda n: print(
        "[webhook] notification\n" + localstack.describe(n), flush=True))
    hook = demo.sink.start()
    say(f"webhook receiver: {hook} (prints every notification)")
    config, problems = parse_config(alerting_yaml(hook, runbook_base()), "demo alerting.yaml")
    if problems:
        raise RuntimeError("\n".join(str(p) for p in problems))
    rule_files = write_rules(demo.root, config)
    am_config = demo.root / "alertmanager.yaml"
    am_config.write_text(render_alertmanager(config, TAG))
    am_port, prom_port = localstack.free_port(), localstack.free_port()
    say("starting Alertmanager")
    am = demo.add(localstack.start_alertmanager(binaries.alertmanager, am_config, demo.root,
                                                am_port, START_TIMEOUT))
    say(f"Alertmanager: {am.url}")
    prom_config = demo.root / "prometheus.yaml"
    prom_config.write_text(localstack.prometheus_config(
        job=config.operational.exporter_job, exporter=exporter,
        alertmanager=f"127.0.0.1:{am_port}", rule_files=[str(p) for p in rule_files],
        interval=EVAL_INTERVAL))
    say("starting Prometheus")
    prom = demo.add(localstack.start_prometheus(binaries.prometheus, prom_config, demo.root,
                                                prom_port, START_TIMEOUT))
    say(f"Prometheus: {prom.url} (alerts: {prom.url}alerts; Debian's build: "
        f"{prom.url}classic/alerts)")


# --- fault injection -----------------------------------------------------------------------


def kernel_pids(kernel_id: str) -> list[int]:
    """Processes whose command line names the kernel's connection file (Linux /proc)."""
    marker = f"kernel-{kernel_id}.json".encode()
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if marker in (entry / "cmdline").read_bytes():
                pids.append(int(entry.name))
        except OSError:
            continue
    return pids


def _bounded(check: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.2)
    raise RuntimeError(f"timed out after {timeout:.0f}s waiting for {what}")


def inject_crash(jupyter: Jupyter, kills: int = CRASH_KILLS) -> None:
    """SIGKILL a kernel's process `kills` times; Jupyter's restarter brings it back each time,
    and each automatic restart is one crash in the exporter's accounting."""
    if not Path("/proc").is_dir():
        say("--inject crash needs Linux /proc to find kernel processes; skipped")
        return
    kernel = jupyter.request("POST", "api/kernels", {"name": "python3"})
    say(f"injecting: started kernel {kernel['id'][:8]}")
    for attempt in range(1, kills + 1):
        old = _bounded(lambda: kernel_pids(kernel["id"]), 60, "the kernel's process")
        for pid in old:
            os.kill(pid, signal.SIGKILL)
        say(f"injecting: SIGKILL kernel process {', '.join(map(str, old))} "
            f"(crash {attempt}/{kills})")
        _bounded(lambda gone=frozenset(old): (new := kernel_pids(kernel["id"]))
                 and not set(new) & gone, 60, "the automatic restart")
        time.sleep(1.0)  # let the new process boot before the next kill
    say("injected; a page should arrive within a minute")


# --- main ----------------------------------------------------------------------------------


def _paged(demo: Demo) -> bool:
    return demo.sink is not None and any(
        n.firing(**{alert_naming.LABEL_SEVERITY: alert_naming.PAGE})
        for n in demo.sink.snapshot())


def run(args: argparse.Namespace, demo: Demo) -> int:
    binaries = localstack.find_binaries()
    if args.exit_on_page and binaries is None:
        say("--exit-on-page needs Prometheus and Alertmanager on PATH")
        print(INSTALL_HINT, flush=True)
        return EXIT_USAGE
    jupyter = start_jupyter(demo)
    exporter = start_exporter(demo, jupyter)
    if binaries is None:
        print(INSTALL_HINT, flush=True)
    else:
        start_alerting(demo, binaries, exporter)
    if args.inject == "crash":
        inject_crash(jupyter)
    say("running; Ctrl-C stops everything" if not args.duration
        else f"running for {args.duration:.0f}s; Ctrl-C stops earlier")
    deadline = time.monotonic() + args.duration if args.duration else None
    while deadline is None or time.monotonic() < deadline:
        dead = demo.dead()
        if dead is not None:
            say(f"{dead.name} exited ({dead.proc.returncode}):\n{dead.log_tail()}")
            return EXIT_FAILED
        if args.exit_on_page and _paged(demo):
            say("page received")
            return EXIT_OK
        time.sleep(0.5)
    if args.exit_on_page:
        say("no page arrived in time")
        return EXIT_FAILED
    return EXIT_OK


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise Stopped


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if importlib.util.find_spec("jupyter_server") is None \
            or importlib.util.find_spec("ipykernel") is None:
        print("jupyter-slo demo: needs Jupyter Server and ipykernel in this environment: "
              "pip install jupyter_server ipykernel", file=sys.stderr)
        return EXIT_USAGE
    demo = Demo(Path(tempfile.mkdtemp(prefix="jupyter-slo-demo-")))
    say(f"working directory: {demo.root}")
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        return run(args, demo)
    except (KeyboardInterrupt, Stopped):
        say("stopping")
        return EXIT_OK
    except (RuntimeError, OSError, urllib.error.URLError) as exc:
        say(f"failed: {exc}")
        return EXIT_FAILED
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second SIGTERM must not cut cleanup
        try:
            demo.close()
        finally:
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
