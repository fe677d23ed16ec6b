"""OpenSLO v1: what has a Prometheus meaning loads; what does not is a located error."""

from __future__ import annotations

from pathlib import Path

import pytest

from slo.cli import main
from tests.slo.promtool import check_rules

SPECS = Path(__file__).parent / "specs" / "openslo-v1"


@pytest.mark.timeout(60)
def test_supported_documents_generate_valid_rules(tmp_path, capsys):
    out = tmp_path / "rules.yaml"
    assert main(["rules", "-i", str(SPECS / "valid.yaml"), "-o", str(out)]) == 0
    text = out.read_text()
    # Two objectives (99.5 % and 99 %): both reported, only the strictest alerts.
    assert "sloth_slo: hub-api-availability\n" in text
    assert "sloth_slo: hub-api-availability-1\n" in text
    assert text.count("alert: HubApiAvailabilityBudgetBurn\n") == 2
    assert "vector(0.995)" in text and "vector(0.99)" in text
    # 28d window, bad/total from the referenced SLI; counter selectors wrapped in rate().
    assert "slo:sli_error:ratio_rate4w" in text
    assert ('sum(rate(jupyterhub_request_duration_seconds_count{job="jupyterhub",code=~"5.."}'
            '[5m]))') in text
    # Inline indicator with good/total: errors are total minus good; no-data policy kept.
    assert ('(sum(rate(jupyter_kernel_startup_attempts_total[5m]))) - '
            '(sum(rate(jupyter_kernel_startup_attempts_total{result="success"}[5m])))') in text
    assert "alert: KernelStartSuccessBudgetBurnNoData" in text
    assert check_rules(out).returncode == 0


def test_unsupported_features_are_errors_at_their_lines(capsys):
    assert main(["validate", "-i", str(SPECS / "unsupported.yaml")]) == 1
    err = [line.split("unsupported.yaml:", 1)[1] for line in capsys.readouterr().err.splitlines()]
    assert err == [
        "30:18: spec.timeWindow: only rolling windows are supported (isRolling: true); "
        "calendar windows have no PromQL equivalent",
        "34:20: spec.budgetingMethod: only Occurrences is supported (Prometheus rules count "
        "events), got 'Timeslices'",
        "38:24: spec.objectives[0].timeSliceTarget: not supported (threshold, time-slice and "
        "composite objectives)",
        "39:24: spec.objectives[0].timeSliceWindow: not supported (threshold, time-slice and "
        "composite objectives)",
        "61:20: spec.budgetingMethod: only Occurrences is supported (Prometheus rules count "
        "events), got 'Timeslices'",
        "53:9: thresholdMetric: not supported (only ratioMetric)",
        "64:11: spec.objectives[0].op: not supported (threshold, time-slice and composite "
        "objectives)",
        "65:14: spec.objectives[0].value: not supported (threshold, time-slice and composite "
        "objectives)",
        "67:24: spec.objectives[0].timeSliceTarget: not supported (threshold, time-slice and "
        "composite objectives)",
        "68:24: spec.objectives[0].timeSliceWindow: not supported (threshold, time-slice and "
        "composite objectives)",
        "46:3: the 1w SLO period time window is not supported (no alert windows for it)",
    ]
