"""Hub mode against a real JupyterHub 6 with configurable-http-proxy and real single-user
servers: three users, one with a named server; all four are polled directly (addresses from
the proxy's routes), their kernels counted, and 60 s of polling plus one event-stream
subscription per server leaves the Hub's view of every server's last activity unchanged.
A request through the proxy, by contrast, moves it: the measurement can see activity.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from exporter import naming
from tests.exporter.hub import make_hub
from tests.exporter.metrics import samples
from tests.exporter.servers import start_exporter, wait_until

pytestmark = pytest.mark.real

SERVERS = (("alice", ""), ("bob", ""), ("bob", "second"), ("carol", ""))
KERNELS = {"alice": 1, "bob": 2, "bob/second": 1, "carol": 1}
ACTIVITY = 3  # seconds: the Hub's and the servers' activity intervals, shortened


def _label(user: str, name: str) -> str:
    return f"{user}/{name}" if name else user


@pytest.mark.timeout(300)
def test_real_hub_four_servers_polled_directly_without_activity(tmp_path: Path) -> None:
    hub = make_hub(tmp_path / "hub", ACTIVITY)
    hub.start()
    exp = None
    try:
        for user, name in SERVERS:
            hub.spawn(user, name)
        for user, name in SERVERS:
            hub.wait_ready(user, name)
        for user, name in SERVERS:
            base = f"{hub.public_url}user/{user}/{name + '/' if name else ''}"
            for _ in range(KERNELS[_label(user, name)]):
                status, _ = hub.request("POST", base + "api/kernels", {"name": "python3"})
                assert status == 201
        time.sleep(4 * ACTIVITY)  # kernels idle, activity pushed and copied by the Hub

        def activity() -> dict[str, str]:
            return {_label(u, n): (hub.server_model(u, n) or {}).get("last_activity", "")
                    for u, n in SERVERS}

        before = activity()
        assert all(before.values()), before
        (tmp_path / "hub-token").write_text(hub.exporter_token)
        (tmp_path / "proxy-token").write_text(hub.proxy_token)
        exp = start_exporter([
            f"--hub-url={hub.hub_url}", f"--hub-token-file={tmp_path / 'hub-token'}",
            f"--proxy-api-url={hub.proxy_api_url}",
            f"--proxy-token-file={tmp_path / 'proxy-token'}",
            "--poll-interval=2s", "--probe-interval=0", "--poll.heavy-every=2"],
            tmp_path / "exp.log")

        def polled() -> list | None:
            scraped = samples(exp.metrics_text())
            up = {lab["server"]: v for n, lab, v in scraped if n == naming.UP.name}
            streams = {lab["server"]: v for n, lab, v in scraped
                       if n == naming.EVENT_STREAM_UP.name}
            ok = up == dict.fromkeys(KERNELS, 1.0) and streams == dict.fromkeys(KERNELS, 1.0)
            return scraped if ok else None

        scraped = wait_until(polled, 30, "all four servers up with an event stream")
        counted: dict[str, float] = {}
        for n, lab, v in scraped:
            if n == naming.KERNELS.name:
                counted[lab["server"]] = counted.get(lab["server"], 0) + v
        assert counted == KERNELS
        assert [v for n, _, v in scraped if n == naming.HUB_UP.name] == [1.0]
        time.sleep(60)
        assert polled() is not None, "still polled after 60 s"
        time.sleep(3 * ACTIVITY)  # anything our polling caused has now reached the Hub
        assert activity() == before, "polling moved the Hub's last_activity"

        log = exp.log_text()
        for secret in (hub.exporter_token, hub.proxy_token):
            assert secret not in log and secret not in exp.metrics_text()

        # Control: one request through the proxy is activity, and the Hub sees it.
        status, _ = hub.request("GET", f"{hub.public_url}user/carol/api/status")
        assert status == 200
        wait_until(lambda: activity()["carol"] != before["carol"], 6 * ACTIVITY,
                   "the Hub to see proxied activity")
    finally:
        if exp is not None:
            exp.stop()
        hub.stop()
