"""Test SLO plugin `integration-tests/plugin1`: merges `config.labels` into `sloth_slo_info`.

Our own equivalent of Sloth's integration-test SLO plugin (behaviour from CASES.md); nothing
else in the rules changes.
"""

from dataclasses import replace

from slo import naming
from slo.plugins import PluginError, SLORequest
from slo.rules import SLORules

SLO_PLUGIN_ID = "integration-tests/plugin1"


class _InfoLabels:
    def __init__(self, labels: dict[str, str]) -> None:
        self.labels = labels

    def process(self, request: SLORequest, rules: SLORules) -> SLORules:
        metadata = tuple(
            rule.with_labels(self.labels) if rule.record == naming.SLO_INFO else rule
            for rule in rules.metadata
        )
        return replace(rules, metadata=metadata)


def new_plugin(config: object) -> _InfoLabels:
    labels = config.get("labels", {}) if isinstance(config, dict) else None
    if not isinstance(labels, dict):
        raise PluginError("config.labels must be a mapping")
    return _InfoLabels({str(k): str(v) for k, v in labels.items()})
