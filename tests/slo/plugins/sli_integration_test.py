"""Test SLI plugin `integration_test`: our own equivalent of Sloth's integration-test plugin.

Behaviour (from the conformance corpus' CASES.md): options `job` (required) and `filter`
(optional label matchers, braces and trailing commas trimmed); the spec's labels must hold
`owner` and `tier`; returns errors (`code=~"(5..|429)"`) over all requests of metric
`integration_test`, both as `sum(rate(...[{{.window}}]))`.
"""

from slo.plugins import PluginError

SLI_PLUGIN_ID = "integration_test"


def sli_plugin(meta: dict[str, str], labels: dict[str, str], options: dict[str, str]) -> str:
    for required in ("owner", "tier"):
        if required not in labels:
            raise PluginError(f"{required} label is required")
    job = options.get("job", "")
    if not job:
        raise PluginError("job option is required")
    matchers = options.get("filter", "").strip().strip("{}").strip(",")
    if matchers:
        matchers += ","
    errors = f'integration_test{{ {matchers}job="{job}",code=~"(5..|429)" }}'
    total = f'integration_test{{ {matchers}job="{job}" }}'
    return (f"\nsum(rate({errors}[{{{{.window}}}}]))\n/\n"
            f"sum(rate({total}[{{{{.window}}}}]))")
