"""Parsers of untrusted upstream data: what is accepted, what is refused, what is ignored."""

from __future__ import annotations

from typing import Any

import pytest

from exporter import naming
from exporter.probes import wire
from exporter.sources import parse

KID = "81e897b1-efe2-49d7-a236-bbdcdef4c848"
EV = naming.KERNEL_ACTIONS_SCHEMA


@pytest.mark.parametrize(("payload", "accepted"), [
    pytest.param({"schema_id": EV, "action": "restart", "status": "success", "kernel_id": KID,
                  "kernel_name": "python3", "msg": "x"}, True, id="a kernel restart event"),
    pytest.param({"schema_id": "https://events.jupyter.org/jupyter_server/contents_service/v1",
                  "action": "save", "path": "secret.ipynb"}, False,
                 id="other schemas are ignored, paths never kept"),
    pytest.param({"schema_id": EV, "action": "restart", "kernel_id": "../../etc"}, False,
                 id="a kernel id that is not a UUID"),
    pytest.param({"schema_id": EV, "action": "explode", "kernel_id": KID}, False,
                 id="an unknown action"),
    pytest.param(["not", "an", "object"], False, id="not an object"),
    pytest.param(None, False, id="undecodable JSON"),
])
def test_events(payload: Any, accepted: bool) -> None:
    assert (parse.parse_event(payload, 1.0) is not None) == accepted


def test_event_with_a_hostile_kernel_name_keeps_no_name() -> None:
    event = parse.parse_event({"schema_id": EV, "action": "start", "kernel_id": KID,
                               "kernel_name": "x" * 500}, 1.0)
    assert event is not None and event.kernel_name == ""


@pytest.mark.parametrize("payload", [
    pytest.param({"id": KID}, id="a kernel without a name"),
    pytest.param({"id": "1", "name": "python3"}, id="a kernel id that is not a UUID"),
    pytest.param({"id": KID, "name": "python3", "connections": "many"},
                 id="connections that are not a number"),
    pytest.param("kernel", id="a string instead of an object"),
])
def test_bad_kernels_are_bad_payloads(payload: Any) -> None:
    with pytest.raises(parse.BadPayload):
        parse.parse_kernels([payload])


def test_kernels_and_timestamps() -> None:
    (kernel,) = parse.parse_kernels([{"id": KID, "name": "python3", "execution_state": "weird",
                                      "connections": 2,
                                      "last_activity": "2026-11-25T22:33:11.600686Z"}])
    assert kernel.execution_state == "unknown" and kernel.connections == 2
    assert kernel.last_activity == pytest.approx(1795645991.600686)
    assert parse.parse_time("2026-11-25T22:34:49.439130+00:00Z") == pytest.approx(1795646089.43913)


def test_negative_connections_seen_after_a_killed_client_are_clamped() -> None:
    (kernel,) = parse.parse_kernels([{"id": KID, "name": "python3", "connections": -1}])
    assert kernel.connections == 0


def test_huge_lists_are_refused() -> None:
    with pytest.raises(parse.BadPayload):
        parse.parse_sessions([{}] * (parse.MAX_ITEMS + 1))


_H = "http_request_duration_seconds_count"
_JS = "jupyter_server.services"
SERVER_METRICS = "# TYPE http_request_duration_seconds histogram\n" + "".join(
    f'{_H}{{handler="{handler}",method="{method}",status_code="{code}"}} {count}\n'
    for handler, method, code, count in [
        (f"{_JS}.contents.handlers.ContentsHandler", "PUT", "201", 4.0),
        (f"{_JS}.contents.handlers.ContentsHandler", "PUT", "500", 2.0),
        (f"{_JS}.contents.handlers.ContentsHandler", "PUT", "400", 9.0),
        (f"{_JS}.kernels.handlers.KernelActionHandler", "POST", "200", 3.0),
        (f"{_JS}.kernels.handlers.KernelActionHandler", "POST", "204", 7.0),
        (f"{_JS}.kernels.handlers.KernelHandler", "DELETE", "204", 5.0),
        ("jupyter_server.base.handlers.APIVersionHandler", "GET", "403", 6.0),
    ])


def test_request_counts_from_the_servers_metrics() -> None:
    counts = parse.parse_server_metrics(SERVER_METRICS)
    assert counts.user_restarts == 3  # interrupts (204) are not restarts
    assert (counts.saves_success, counts.saves_failure) == (4, 2)  # 4xx not counted
    assert counts.auth_failures == 6 and counts.deletes == 5


def test_only_the_request_count_lines_of_a_full_page_are_read() -> None:
    """A real page is mostly buckets and process series; they and look-alike names are
    skipped before the Prometheus parser sees the text."""
    handler = f"{_JS}.contents.handlers.ContentsHandler"
    noise = (f'{_H[:-6]}_bucket{{handler="{handler}",le="0.005",method="PUT",'
             f'status_code="201"}} 99.0\n'
             f'{_H[:-6]}_sum{{handler="{handler}",method="PUT",status_code="201"}} 0.5\n'
             f'{_H}_total{{handler="{handler}",method="PUT",status_code="500"}} 7.0\n'
             "# HELP process_cpu_seconds_total Total user and system CPU time.\n"
             "process_cpu_seconds_total 12.5\n")
    assert parse.parse_server_metrics(noise + SERVER_METRICS + noise) \
        == parse.parse_server_metrics(SERVER_METRICS)


@pytest.mark.parametrize("text", [
    pytest.param("<html>login</html>", id="a login page"),
    pytest.param("# TYPE x gauge\nx 1\n", id="metrics without the request histogram"),
])
def test_unusable_server_metrics(text: str) -> None:
    with pytest.raises(parse.BadPayload):
        parse.parse_server_metrics(text)


def test_v1_frames_round_trip_and_garbage_is_none() -> None:
    msg = wire.kernel_info_request("s")
    channel, decoded = wire.decode_v1(wire.encode_v1(msg, "shell"))
    assert channel == "shell" and decoded["header"] == msg["header"]
    assert wire.decode_v1(b"\xff" * 40) is None
    assert wire.decode_v1(b"") is None
    assert wire.decode_legacy("{]") is None
    channel, decoded = wire.decode_legacy(wire.encode_legacy(msg, "shell"))
    assert channel == "shell" and decoded["header"]["msg_id"] == msg["header"]["msg_id"]
