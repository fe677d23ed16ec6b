"""`explain` against the SRE Workbook's table for a 99.9 % SLO over 30 days.

Workbook chapter 5, table 5-8: page at 14.4x over 1h (5m short window), which is a 1.44 %
error ratio and 2 % of the budget; page at 6x over 6h/30m (5 %); ticket at 3x over 1d/2h
(10 %) and 1x over 3d/6h (10 %). A full outage burns the 1h window's 1.44 % in
0.0144 x 3600 s = 51.84 s.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from slo.cli import main

SPEC = Path(__file__).parent / "specs" / "good.yaml"  # svc-requests, 99.9 %


def explained(capsys, *flags: str) -> dict:
    assert main(["explain", "-i", str(SPEC), "--format", "json", *flags]) == 0
    (only,) = json.loads(capsys.readouterr().out)
    return only


WORKBOOK = [
    pytest.param(0, "1h", "5m", 14.4, 0.0144, 2, "52s", id="page quick: 14.4x over 1h/5m"),
    pytest.param(1, "6h", "30m", 6, 0.006, 5, "2m10s", id="page slow: 6x over 6h/30m"),
    pytest.param(2, "1d", "2h", 3, 0.003, 10, "4m19s", id="ticket quick: 3x over 1d/2h"),
    pytest.param(3, "3d", "6h", 1, 0.001, 10, "4m19s", id="ticket slow: 1x over 3d/6h"),
]


@pytest.mark.parametrize(("index", "long", "short", "factor", "threshold", "spent", "outage"),
                         WORKBOOK)
def test_tiers_match_the_workbook(capsys, index, long, short, factor, threshold, spent, outage):
    tier = explained(capsys)["tiers"][index]
    assert (tier["long_window"], tier["short_window"]) == (long, short)
    assert tier["factor"] == factor
    assert tier["error_ratio_threshold"] == threshold
    assert tier["budget_spent_percent"] == spent
    assert tier["full_outage_fires_after"] == outage


def test_budget_as_time(capsys):
    e = explained(capsys)
    assert e["objective_percent"] == 99.9
    assert e["error_budget_ratio"] == 0.001
    assert e["error_budget_time"] == "43m12s"  # 0.001 x 30 x 24 x 3600 s = 2592 s


def test_text_table_for_terminals(capsys):
    assert main(["explain", "-i", str(SPEC)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "svc-requests: objective 99.9% over 30d; error budget 0.1% = 43m12s"
    assert lines[2].split() == ["page", "quick", "1h/5m", "14.4x", "1.44%", "2%", "52s"]


def test_markdown_table(capsys):
    assert main(["explain", "-i", str(SPEC), "--format", "markdown"]) == 0
    out = capsys.readouterr().out
    assert "| page quick | 1h/5m | 14.4x | 1.44% | 2% | 52s |" in out
