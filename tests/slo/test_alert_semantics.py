"""The default mode's burn-rate alerts, proven with the real `promtool test rules`.

SLO: 99.9 % over 30d, so the error budget is 0.001. Tiers (SRE Workbook): page when the
5m and 1h ratios exceed 14.4 x 0.001, or the 30m and 6h ratios exceed 6 x 0.001; ticket when
the 2h and 1d ratios exceed 3 x 0.001, or the 6h and 3d ratios exceed 1 x 0.001.

Every scenario starts with 3 days of healthy traffic (100 requests a minute, no errors), so
even the 3d window is full before the fault begins at T0 = 3d; then the error ratio is `e`
at the same traffic. By the Workbook, a window of length W holding d minutes of fault has
ratio e x d / W, so an alert tier (factor F, long window L) fires once e x d / L > F x 0.001,
i.e. after d = F x 0.001 / e x L (the short window is then long since saturated).
Our rules average 5-minute rates sampled each minute, which adds about 3 minutes (the 5m
rate ramps up over its first 5 minutes, and a window holds W+1 samples); each test asserts
"off" a little before the Workbook time and "on" a little after it.
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
      name: ApiBudgetBurn
"""

HEALTHY_MINUTES = 3 * 24 * 60  # T0 = 3d
SLO_LABELS = {"sloth_id": "api-requests", "sloth_service": "api", "sloth_slo": "requests"}
SELECTOR = '{sloth_id="api-requests", sloth_service="api", sloth_slo="requests"}'


def series(error_per_minute: float, fault_minutes: int) -> list[dict[str, str]]:
    ok_per_minute = 100 - error_per_minute
    healthy_ok_end = 100 * HEALTHY_MINUTES
    return [
        {"series": 'http_requests_total{code="200"}',
         "values": f"0+100x{HEALTHY_MINUTES} "
                   f"{healthy_ok_end + ok_per_minute}+{ok_per_minute}x{fault_minutes}"},
        {"series": 'http_requests_total{code="500"}',
         "values": f"0+0x{HEALTHY_MINUTES} {error_per_minute}+{error_per_minute}x{fault_minutes}"},
    ]


def at(minutes_after_fault: int) -> str:
    return f"{HEALTHY_MINUTES + minutes_after_fault}m"


def firing(*severities: str) -> list[dict]:
    return [{
        "exp_labels": {**SLO_LABELS, "sloth_severity": s},
        "exp_annotations": {
            "title": f"({s}) api requests SLO error budget burn rate is too fast.",
            "summary": "api requests SLO error budget burn rate is over expected.",
        },
    } for s in severities]


def alert_at(minutes: int, *severities: str) -> dict:
    return {"eval_time": at(minutes), "alertname": "ApiBudgetBurn",
            "exp_alerts": firing(*severities)}


def tier_is_false(short: str, long: str, threshold: str, minutes: int) -> dict:
    expr = (f"max(slo:sli_error:ratio_rate{short}{SELECTOR} > {threshold}) without (sloth_window)"
            f" and max(slo:sli_error:ratio_rate{long}{SELECTOR} > {threshold}) "
            "without (sloth_window)")
    return {"expr": expr, "eval_time": at(minutes), "exp_samples": []}


@pytest.fixture(scope="module")
def rules() -> dict[str, str]:
    return {"rules.yaml": rules_text(SPEC)}


def run(tmp_path, rules, test: dict) -> None:
    result = run_tests(tmp_path, rules, [{"interval": "1m", **test}])
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.timeout(300)
def test_two_percent_errors_page_after_about_43_minutes(tmp_path, rules):
    # Workbook: page quick tier, d = 14.4 x 0.001 / 0.02 x 60m = 43.2m.
    # Nothing else is near: the slow page tier needs 6 x 0.001 / 0.02 x 6h = 108m, the ticket
    # tiers 3 x 0.001 / 0.02 x 1d = 216m and 1 x 0.001 / 0.02 x 3d = 216m.
    run(tmp_path, rules, {
        "input_series": series(2, 60),
        "alert_rule_test": [alert_at(0), alert_at(40), alert_at(50, "page")],
    })


@pytest.mark.timeout(300)
def test_one_percent_errors_page_through_the_six_hour_tier_only(tmp_path, rules):
    # Workbook: page slow tier, d = 6 x 0.001 / 0.01 x 6h = 216m (3h36m). The quick tier's
    # threshold (0.0144) is above the error ratio itself (0.01), so it can never fire.
    # The ticket quick tier (3 x 0.001 / 0.01 x 1d = 432m) fires later, outside this test.
    quick_false = [tier_is_false("5m", "1h", "(14.4 * 0.001)", m)
                   for m in (10, 60, 120, 216, 230, 300)]
    run(tmp_path, rules, {
        "input_series": series(1, 300),
        "promql_expr_test": quick_false,
        "alert_rule_test": [alert_at(200), alert_at(230, "page")],
    })


@pytest.mark.timeout(300)
def test_half_percent_errors_open_a_ticket_and_never_page(tmp_path, rules):
    # Workbook: both ticket tiers at once, d = 3 x 0.001 / 0.005 x 1d = 864m (14h24m) and
    # 1 x 0.001 / 0.005 x 3d = 864m. Page tiers need ratios of 0.0144 and 0.006: never.
    run(tmp_path, rules, {
        "input_series": series(0.5, 960),
        "alert_rule_test": [alert_at(60), alert_at(600), alert_at(840),
                            alert_at(880, "ticket"), alert_at(960, "ticket")],
    })


@pytest.mark.timeout(300)
def test_a_twentieth_of_a_percent_fires_nothing(tmp_path, rules):
    # 0.0005 is below the lowest threshold (1 x 0.001): no tier can ever fire.
    run(tmp_path, rules, {
        "input_series": series(0.05, 1440),
        "alert_rule_test": [alert_at(m) for m in (5, 60, 360, 720, 1440)],
    })
