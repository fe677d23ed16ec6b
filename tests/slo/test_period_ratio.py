"""The period error ratio: event-weighted and NaN-free in default mode, proven with promtool.

Sloth's period ratio is `sum_over_time(ratio5m[30d]) / count_over_time(ratio5m[30d])`: a mean
of 5-minute ratios, where a quiet night weighs as much as a busy day and one idle window (0/0
= NaN) poisons the whole period. Ours divides summed error rates by summed total rates.
"""

from __future__ import annotations

import pytest

from tests.slo.promtool import rules_text, run_tests

SPEC = """\
version: "prometheus/v1"
service: "api"
slos:
  - name: "requests"
    objective: 99.9
    sli:
      events:
        error_query: sum(rate(http_requests_total{code="500"}[{{.window}}]))
        total_query: sum(rate(http_requests_total[{{.window}}]))
    alerting:
      page_alert: {disable: true}
      ticket_alert: {disable: true}
"""
SELECTOR = '{sloth_id="api-requests", sloth_service="api", sloth_slo="requests"}'
LABELS = 'sloth_id="api-requests", sloth_service="api", sloth_slo="requests"'


@pytest.mark.timeout(120)
def test_silence_after_traffic_keeps_the_period_figures(tmp_path):
    # 2h of 2000 requests a minute with 1 error a minute (ratio 0.0005), then 1h of silence:
    # the counters stay flat. Every request is inside the 30d window, so the period ratio is
    # 1 / 2000 = 0.0005 and the remaining budget is 1 - 0.0005 / 0.001 = 0.5.
    series = [
        {"series": 'http_requests_total{code="200"}', "values": "0+1999x120 239880+0x60"},
        {"series": 'http_requests_total{code="500"}', "values": "0+1x120 120+0x60"},
    ]
    checks = [
        close_to(f"slo:sli_error:ratio_rate30d{SELECTOR}", 0.0005, "180m"),
        close_to(f"slo:period_error_budget_remaining:ratio{SELECTOR}", 0.5, "180m"),
        # The idle 5m window has no ratio at all, rather than a NaN.
        {"expr": f"slo:sli_error:ratio_rate5m{SELECTOR}", "eval_time": "180m",
         "exp_samples": []},
    ]
    result = run_tests(tmp_path, {"rules.yaml": rules_text(SPEC)},
                       [{"interval": "1m", "input_series": series, "promql_expr_test": checks}])
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.timeout(120)
def test_sloth_period_ratio_turns_nan_after_silence(tmp_path):
    # The same history under --compat sloth: the idle 5m ratios are 0/0, and the period mean
    # of ratios is NaN. This is the fault the default mode fixes.
    series = [
        {"series": 'http_requests_total{code="200"}', "values": "0+1999x120 239880+0x60"},
        {"series": 'http_requests_total{code="500"}', "values": "0+1x120 120+0x60"},
    ]
    nan_only = f"slo:sli_error:ratio_rate30d{SELECTOR} != slo:sli_error:ratio_rate30d{SELECTOR}"
    checks = [{"expr": f"count({nan_only})", "eval_time": "180m",
               "exp_samples": [{"labels": "{}", "value": 1}]}]
    result = run_tests(tmp_path, {"rules.yaml": rules_text(SPEC, compat=True)},
                       [{"interval": "1m", "input_series": series, "promql_expr_test": checks}])
    assert result.returncode == 0, result.stdout + result.stderr


# Six hours at 100 req/s with 0.1 % errors, then six hours at 1 req/s with 50 % errors.
# Per minute: 6000 requests (6 errors), then 60 requests (30 errors).
# True ratio: errors 360 x 6 + 360 x 30 = 12960; total 360 x 6000 + 360 x 60 = 2181600;
# 12960 / 2181600 = 0.00594059...
TRUE_RATIO = 12960 / 2181600
BURSTY = [
    {"series": 'http_requests_total{code="200"}', "values": "0+5994x360 2157870+30x360"},
    {"series": 'http_requests_total{code="500"}', "values": "0+6x360 2190+30x360"},
]
# Read a few minutes after the traffic ends, so each request has been in all five of the 5m
# rate samples that see it; the counters stay flat from 12h on.
READ_AT = "725m"


def close_to(expr: str, value: float, eval_time: str, relative: float = 1e-9) -> dict:
    """A promtool check that `expr` (one series) is within `relative` of `value`.

    promtool 2.42 compares sample values exactly, and float sums are not exact.
    """
    check = f"count(abs(({expr}) - {value!r}) <= {abs(value) * relative!r})"
    return {"expr": check, "eval_time": eval_time, "exp_samples": [{"labels": "{}", "value": 1}]}


@pytest.mark.timeout(120)
def test_bursty_traffic_period_ratio_is_event_weighted(tmp_path):
    series = [{"series": s["series"], "values": s["values"] + " " + _flat_tail(s["values"])}
              for s in BURSTY]
    check = close_to(f"slo:sli_error:ratio_rate30d{SELECTOR}", TRUE_RATIO, READ_AT, 0.01)
    result = run_tests(tmp_path, {"rules.yaml": rules_text(SPEC)}, [{
        "interval": "1m", "input_series": series, "promql_expr_test": [check]}])
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.timeout(120)
def test_bursty_traffic_sloth_mean_of_ratios_is_about_forty_times_too_high(tmp_path):
    # Sloth's mean of 5m ratios: half the samples near 0.001, half near 0.5, so about
    # 0.25 against a true 0.0059: about 42 times too high.
    series = [{"series": s["series"], "values": s["values"] + " " + _flat_tail(s["values"])}
              for s in BURSTY]
    sloth = f"slo:sli_error:ratio_rate30d{SELECTOR}"
    factor = f"({sloth}) / {TRUE_RATIO!r}"
    checks = [{"expr": f"count({factor} > 35 and {factor} < 50)", "eval_time": READ_AT,
               "exp_samples": [{"labels": "{}", "value": 1}]}]
    result = run_tests(tmp_path, {"rules.yaml": rules_text(SPEC, compat=True)}, [{
        "interval": "1m", "input_series": series, "promql_expr_test": checks}])
    assert result.returncode == 0, result.stdout + result.stderr


def _flat_tail(values: str) -> str:
    """Keep the counter at its last value for ten more minutes."""
    last = values.split()[-1]
    start, _, rest = last.partition("+")
    step, _, count = rest.partition("x")
    return f"{float(start) + float(step) * int(count)!r}+0x10"
