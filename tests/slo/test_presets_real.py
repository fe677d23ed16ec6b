"""Presets against a real scrape: every bucket a latency preset selects exists in the exporter's
output, and every exporter metric a preset reads is one the exporter really serves."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from exporter import naming as metrics
from slo.model import EventsSLI, LatencySLI
from slo.presets import KNOWN_BUCKETS, PRESETS, expand
from tests.exporter.servers import make_server, start_exporter, wait_until

SAMPLE_RE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? ', re.MULTILINE)


@pytest.fixture(scope="module")
def scrape(tmp_path_factory) -> str:
    base = tmp_path_factory.mktemp("presets")
    server = make_server(base)
    server.start()
    token = base / "token"
    token.write_text(server.token)
    exporter = start_exporter([f"--jupyter-url=dev={server.url}",
                               f"--jupyter-token-file={token}", "--poll-interval=1s",
                               "--probe-interval=2s"], base / "exporter.log")
    try:
        bucket = f'{metrics.KERNEL_STARTUP.name}_bucket{{'
        return wait_until(lambda: t if bucket in (t := exporter.metrics_text()) else None, 120,
                          "a kernel start probe observation")
    finally:
        exporter.stop()
        server.stop()


def exporter_presets() -> list[str]:
    return [name for name in sorted(PRESETS) if not name.startswith("hub-")
            and name != "notebook-jobs"]  # JupyterHub's and the job wrapper's metrics


@pytest.mark.timeout(240)
@pytest.mark.parametrize("threshold", sorted(metrics.KERNEL_STARTUP_BUCKETS))
def test_kernel_startup_buckets_exist_in_a_real_scrape(scrape, threshold):
    sli = expand("kernel-startup", "", Decimal(repr(threshold)))
    assert isinstance(sli, LatencySLI)
    assert f'{sli.metric}_bucket{{' in scrape
    les = set(re.findall(rf'^{sli.metric}_bucket{{[^}}]*le="([^"]+)"', scrape, re.MULTILINE))
    assert sli.le in les, f"le={sli.le!r} not among {sorted(les)}"


@pytest.mark.timeout(240)
@pytest.mark.parametrize("name", exporter_presets())
def test_preset_metrics_are_served(scrape, name):
    preset = PRESETS[name]
    sli = expand(name, "", Decimal(30) if preset.needs_threshold else None)
    events = sli.as_events() if isinstance(sli, LatencySLI) else sli
    assert isinstance(events, EventsSLI)
    served = {m for m, _ in SAMPLE_RE.findall(scrape)}
    used = set(re.findall(r"\b(jupyter_[a-z_]+)", events.error_query + events.total_query))
    # A counter may have no sample until it first counts; its HELP line shows it is served.
    helped = set(re.findall(r"^# HELP ([a-z_]+)", scrape, re.MULTILINE))
    missing = {m for m in used if m not in served and m.removesuffix("_total") not in helped
               and m not in helped}
    assert not missing, f"{name} reads metrics the exporter does not serve: {missing}"


def test_known_buckets_come_from_the_exporter():
    assert KNOWN_BUCKETS[metrics.KERNEL_STARTUP.name] == metrics.KERNEL_STARTUP_BUCKETS
