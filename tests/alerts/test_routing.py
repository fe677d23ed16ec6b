"""Alertmanager routing generated from `alerting.yaml`, checked by the real amtool 0.25."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from alerts.config import AlertingConfig, find_config, load_config, parse_config
from alerts.routing import alertmanager_config, render_alertmanager
from tests.alerts.helpers import amtool, example_text, parsed, run, write_am

pytestmark = pytest.mark.real


@pytest.mark.timeout(60)
@pytest.mark.parametrize("text", [
    pytest.param(None, id="the defaults, without any alerting.yaml, pass amtool"),
    pytest.param("docs", id="the documented example passes amtool"),
])
def test_amtool_check_config_passes(tmp_path: Path, text: str | None) -> None:
    config = AlertingConfig() if text is None else parsed(example_text())
    result = run(amtool(), "check-config", str(write_am(tmp_path, config)))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def _matched_route(config: dict, tree: str) -> dict:
    """The generated route amtool's `--tree` printed as the match, found by its matchers."""
    match = re.search(r"\{([^}]*)\}\s+receiver:", tree)
    assert match, tree
    printed = set(match.group(1).split(","))
    found = [r for r in config["route"]["routes"] if set(r["matchers"]) == printed]
    assert len(found) == 1, (printed, tree)
    return found[0]


ROUTES = [
    pytest.param({"sloth_severity": "page", "owner": "platform"}, "page", [],
                 id="a page of a team without receivers goes to the default pager"),
    pytest.param({"sloth_severity": "ticket", "owner": "platform"}, "ticket", ["saturday-patching"],
                 id="a ticket goes to the ticket receiver, muted by the window naming tickets"),
    pytest.param({"sloth_severity": "page", "owner": "data-science"}, "team-data-science-page",
                 ["saturday-patching"],
                 id="a team's page goes to its own receiver, muted by the window naming it"),
    pytest.param({"sloth_severity": "ticket", "owner": "data-science"}, "ticket",
                 ["saturday-patching"],
                 id="a team without its own ticket receiver falls back to the default one"),
    pytest.param({"sloth_severity": "page", "owner": "research"}, "page", ["saturday-patching"],
                 id="a page of a team in maintenance routes to a muted route"),
    pytest.param({"alertname": "Watchdog"}, "ticket", None,
                 id="an alert without severity lands on the root as a ticket, never dropped"),
]


@pytest.mark.timeout(60)
@pytest.mark.parametrize(("labels", "receiver", "mutes"), ROUTES)
def test_amtool_routes(tmp_path: Path, labels: dict[str, str], receiver: str,
                       mutes: list[str] | None) -> None:
    config = parsed(example_text())
    path = write_am(tmp_path, config)
    pairs = [f"{k}={v}" for k, v in labels.items()]
    verify = run(amtool(), "config", "routes", "test", f"--config.file={path}",
                 f"--verify.receivers={receiver}", *pairs)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    if mutes is None:
        return
    tree = run(amtool(), "config", "routes", "test", f"--config.file={path}", "--tree", *pairs)
    route = _matched_route(alertmanager_config(config), tree.stdout)
    assert route.get("mute_time_intervals", []) == mutes


@pytest.mark.timeout(60)
def test_amtool_notices_a_wrong_receiver(tmp_path: Path) -> None:
    """The table above could pass vacuously if --verify.receivers never failed."""
    path = write_am(tmp_path, parsed(example_text()))
    result = run(amtool(), "config", "routes", "test", f"--config.file={path}",
                 "--verify.receivers=ticket", "sloth_severity=page")
    assert result.returncode != 0


def test_a_page_inhibits_tickets_of_the_same_slo_only() -> None:
    (rule,) = alertmanager_config(AlertingConfig())["inhibit_rules"]
    assert rule == {"source_matchers": ['sloth_severity="page"', 'sloth_id=~".+"'],
                    "target_matchers": ['sloth_severity="ticket"', 'sloth_id=~".+"'],
                    "equal": ["sloth_id"]}


def test_grouping_uses_the_configured_team_label() -> None:
    config = parsed(example_text().replace("team_label: owner", "team_label: team"))
    route = alertmanager_config(config)["route"]
    assert route["group_by"] == ["alertname", "sloth_service", "sloth_slo", "team"]
    assert 'team="data-science"' in route["routes"][0]["matchers"]


def test_no_secret_file_content_is_inlined(tmp_path: Path) -> None:
    secret = tmp_path / "pd-key"
    secret.write_text("s3cr3t-routing-key")
    text = example_text().replace("/etc/alertmanager/secrets/pagerduty-key", str(secret))
    rendered = render_alertmanager(parsed(text), "v0")
    assert str(secret) in rendered and "s3cr3t" not in rendered
    assert "match:" not in rendered and "match_re:" not in rendered  # modern matchers only


BAD = [
    pytest.param("receivers:\n  page:\n    - pagerduty: {routing_key: abc}\n",
                 "alerting.yaml:4:19: receivers.page[0].pagerduty.routing_key: secrets are "
                 "never written inline; put it in a file readable by Alertmanager and use "
                 "routing_key_file", id="an inline PagerDuty key is refused"),
    pytest.param("receivers:\n  ticket:\n    - webhook: {url_file: /x}\n",
                 "alerting.yaml:4:17: receivers.ticket[0].webhook.url_file: secrets are never "
                 "written inline; put it in a file readable by Alertmanager and use url "
                 "(url_file needs Alertmanager 0.26)",
                 id="a webhook url_file, which 0.25 rejects, is refused"),
    pytest.param("receivers:\n  page:\n    - webhook: {url: 'https://h/x?token=abc'}\n",
                 "alerting.yaml:4:22: receivers.page[0].webhook.url: the query looks like it "
                 "carries a secret; use http_config.authorization.credentials_file",
                 id="a token in a webhook URL is refused"),
    pytest.param("receivers:\n  page:\n    - webhook:\n        url: https://h/\n"
                 "        http_config: {authorization: {credentials: abc}}\n",
                 "alerting.yaml:6:39: receivers.page[0].webhook.http_config.authorization."
                 "credentials: secrets are never written inline; put it in a file readable by "
                 "Alertmanager and use credentials_file",
                 id="inline bearer credentials are refused"),
    pytest.param("receivers:\n  page:\n    - sms: {to: 1}\n",
                 "alerting.yaml:4:7: receivers.page[0]: unknown notifier 'sms' (known: webhook, "
                 "pagerduty, slack, email, opsgenie)", id="an unknown notifier kind is named"),
    pytest.param("maintenance:\n  - name: w\n    time_intervals: [{weekdays: [sunday]}]\n"
                 "    mute: [{severity: urgent}]\n",
                 "alerting.yaml:5:23: maintenance[0].mute[0].severity: expected one of page, "
                 "ticket", id="a mute selector with an unknown severity"),
    pytest.param("timing:\n  page: {group_wait: soon}\n",
                 "alerting.yaml:3:22: timing.page.group_wait: expected a duration above zero, "
                 "got 'soon'", id="a timing that is no duration"),
    pytest.param("routes: []\n", "alerting.yaml:2:1: routes: unknown field (known: version, "
                 "team_label, links, receivers, teams, timing, maintenance, operational, jobs)",
                 id="an unknown top-level field"),
    pytest.param("jobs: {nightly: 26h}\n", "alerting.yaml:2:7: jobs: expected a list of "
                 "{name: NOTEBOOK_JOB, max_age: DURATION}", id="jobs as a mapping"),
    pytest.param("jobs:\n  - {name: reports/nightly.ipynb, max_age: 26h}\n",
                 "alerting.yaml:3:12: jobs[0].name: expected a notebook_job name as "
                 "`jupyter-slo job run --job` takes it (letters, digits, '_', '.', ':', '-'; "
                 "no '/')", id="a notebook path as a job name"),
    pytest.param("jobs:\n  - {name: nightly, max_age: daily}\n",
                 "alerting.yaml:3:30: jobs[0].max_age: expected a duration above zero (a daily "
                 "job: 26h), got 'daily'", id="a max_age that is no duration"),
    pytest.param("jobs:\n  - {name: nightly, max_age: 0}\n",
                 "alerting.yaml:3:30: jobs[0].max_age: expected a duration above zero (a daily "
                 "job: 26h), got 0", id="a zero max_age"),
    pytest.param("jobs:\n  - {name: nightly}\n",
                 "alerting.yaml:3:5: jobs[0].max_age: required", id="a job without max_age"),
    pytest.param("jobs:\n  - {name: a, max_age: 1h}\n  - {name: a, max_age: 2h}\n",
                 "alerting.yaml:4:12: jobs[1].name: 'a' is listed twice",
                 id="a job listed twice"),
    pytest.param("jobs:\n  - {name: a, max_age: 1h, for: 5m}\n",
                 "alerting.yaml:3:28: jobs[0].for: unknown field (known: name, max_age)",
                 id="an unknown field in a job"),
]


@pytest.mark.parametrize(("body", "expected"), BAD)
def test_config_errors_point_at_the_line(body: str, expected: str) -> None:
    _, problems = parse_config("version: jupyter-slo/alerting/v1\n" + body, "alerting.yaml")
    assert expected in [str(p) for p in problems]


def test_config_is_found_next_to_the_specs(tmp_path: Path) -> None:
    spec = tmp_path / "jupyter.yaml"
    spec.write_text("version: jupyter-slo/v1\n")
    assert find_config(tmp_path) is None and find_config(spec) is None
    assert load_config(None) == AlertingConfig()
    (tmp_path / "alerting.yaml").write_text(example_text())
    assert find_config(tmp_path) == tmp_path / "alerting.yaml"
    assert find_config(spec) == tmp_path / "alerting.yaml"
    assert load_config(find_config(spec)).teams[0].name == "data-science"


def test_rendered_file_is_yaml_with_the_generated_header() -> None:
    text = render_alertmanager(parsed(example_text()), "v1.2.3")
    assert text.startswith("# generated by jupyter-slo v1.2.3")
    assert yaml.safe_load(text)["time_intervals"][0]["name"] == "saturday-patching"
