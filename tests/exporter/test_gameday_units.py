"""Pure parts of the game-day tools: rate parsing, tick planning, percentiles, the table."""

from __future__ import annotations

import argparse
from collections import Counter

import pytest

from exporter.gameday import chaos, cli, target
from exporter.gameday.stats import Tally, percentile, table


@pytest.mark.parametrize(("text", "per_second"), [
    pytest.param("2", 2.0, id="a bare number is per second"),
    pytest.param("0.5/s", 0.5, id="per second with a unit"),
    pytest.param("30/m", 0.5, id="per minute"),
    pytest.param("60/h", 1 / 60, id="per hour"),
])
def test_rate_parses(text: str, per_second: float) -> None:
    assert cli._rate(text) == pytest.approx(per_second)


@pytest.mark.parametrize("text", [
    pytest.param("0", id="zero"), pytest.param("-1", id="negative"),
    pytest.param("11", id="above the 10/s bound"), pytest.param("2/d", id="unknown unit"),
    pytest.param("fast", id="not a number"), pytest.param("nan", id="nan"),
])
def test_bad_rates_are_refused(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        cli._rate(text)


@pytest.mark.parametrize(("rate", "duration", "cap", "ticks"), [
    pytest.param(2.0, 1.5, 1000, 3, id="ticks at 0, 0.5 and 1.0 s"),
    pytest.param(1.0, 3.0, 1000, 3, id="the end of the duration is not a tick"),
    pytest.param(1.0, 3.2, 1000, 4, id="a partial interval still gets its tick"),
    pytest.param(10.0, 60.0, 25, 25, id="max-actions caps the count"),
])
def test_planned_ticks(rate: float, duration: float, cap: int, ticks: int) -> None:
    assert chaos.planned(chaos.ChaosSpec("kill", rate, duration, max_actions=cap)) == ticks


@pytest.mark.parametrize(("values", "q", "expected"), [
    pytest.param([3.0], 0.99, 3.0, id="one value is every percentile"),
    pytest.param([1.0, 2.0, 3.0, 4.0], 0.5, 2.0, id="nearest rank, not interpolated"),
    pytest.param([float(i) for i in range(1, 101)], 0.9, 90.0, id="p90 of 1..100"),
    pytest.param([float(i) for i in range(1, 101)], 0.99, 99.0, id="p99 of 1..100"),
])
def test_percentile(values: list[float], q: float, expected: float) -> None:
    assert percentile(values, q) == expected


def test_table_shows_distribution_and_failures_by_reason() -> None:
    tally = Tally([0.5, 1.5, 1.0], Counter({"timeout": 2, "http_5xx": 1}))
    text = table(tally.summary(), 8, 12.0)
    assert text.startswith("kernel starts: 6 in 12.0s at concurrency 8: 3 ok, 3 failed")
    assert "    min      p50" in text and "  0.500    1.000" in text
    assert "  timeout                      2" in text


@pytest.mark.parametrize(("host", "loopback"), [
    pytest.param("127.0.0.1", True, id="IPv4 loopback"),
    pytest.param("127.8.9.10", True, id="anywhere in 127/8"),
    pytest.param("[::1]", True, id="IPv6 loopback"),
    pytest.param("localhost", True, id="localhost resolves to loopback only"),
    pytest.param("192.0.2.10", False, id="a documentation address is remote"),
    pytest.param("10.0.0.1", False, id="a private address is remote"),
])
def test_loopback_rule(host: str, loopback: bool) -> None:
    assert target.is_loopback_host(host) is loopback
